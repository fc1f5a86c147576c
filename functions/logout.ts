/**
 * POST /logout and GET /logout (the tutorial's verb): ends the session that the cookie's token
 * names (each one's, if several cookies came; a missing or invalid token ends nothing), then
 * answers 200 with a Set-Cookie that deletes the cookie; 403 cross_site_request (cookie and
 * session untouched) when another site's page sent it; 503 service_unavailable (cookie kept) when
 * the session cannot be ended.
 */
import { endSessions } from "../shared/core/session.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { clearedSessionCookie, logoutTokens } from "../shared/http/cookies.ts";
import { httpHandler, json } from "../shared/http/handler.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "logout",
  async (event) => {
    await endSessions(deps, logoutTokens(event.cookies, config.sessionCookieName), clientFacts(event));
    return json(200, { message: "Signed out." }, [clearedSessionCookie(config.sessionCookieName)]);
  },
  { refuseCrossSite: config.allowedOrigins },
);
