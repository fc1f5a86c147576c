/**
 * POST /logout-everywhere with the session cookie: ends every session of the signed-in user, on
 * every device, then answers 200 with a Set-Cookie that deletes the cookie. 401 missing_token /
 * invalid_token / ambiguous_token / token_expired / session_expired / session_revoked;
 * 403 cross_site_request (cookie and sessions untouched) when another site's page sent it;
 * 503 service_unavailable when the key or the tables cannot be used.
 */

import { endAllSessions } from "../shared/core/session.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { clearedSessionCookie, readSessionToken } from "../shared/http/cookies.ts";
import { httpHandler, json } from "../shared/http/handler.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "logout-everywhere",
  async (event, facts) => {
    const token = readSessionToken(event.cookies, config.sessionCookieName);
    facts.user = await endAllSessions(deps, token, clientFacts(event));
    return json(200, { message: "Signed out everywhere." }, [clearedSessionCookie(config.sessionCookieName)]);
  },
  { refuseCrossSite: config.allowedOrigins },
);
