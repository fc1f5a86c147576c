/**
 * POST /logout and GET /logout (the tutorial's verb): ends the session that the cookie's token
 * names (each one's, if several cookies came; a missing or invalid token ends nothing), then
 * answers 200 with a Set-Cookie that deletes the cookie; 403 cross_site_request (cookie and
 * session untouched) when another site's page sent it; 503 service_unavailable (cookie kept) when
 * the session cannot be ended.
 */
import { clearedSessionCookie } from "../shared/cookies.ts";
import { httpHandler, json } from "../shared/http.ts";
import { config, deps, nowSeconds } from "../shared/runtime.ts";
import { endSession } from "../shared/session.ts";

export const handler = httpHandler(
  "logout",
  async (event) => {
    await endSession(deps, event.cookies, config.sessionCookieName, nowSeconds());
    return json(200, { message: "Signed out." }, [clearedSessionCookie(config.sessionCookieName)]);
  },
  { refuseCrossSite: config.allowedOrigins },
);
