/**
 * POST /refresh with the session cookie, in the token's last REFRESH_WINDOW_SECONDS.
 * 200 + new session cookie + the sign-in body; 400 refresh_too_early (cookie untouched);
 * 401 missing_token / invalid_token / ambiguous_token / token_expired / session_expired /
 * session_revoked (logged out, logged out everywhere, user removed or password changed);
 * 403 cross_site_request; 503 service_unavailable when no key can be read or the tables cannot be used.
 */
import { readSessionToken } from "../shared/cookies.ts";
import { httpHandler, sessionIssued } from "../shared/http.ts";
import { config, deps, nowSeconds } from "../shared/runtime.ts";
import { refreshSession } from "../shared/session.ts";

export const handler = httpHandler(
  "refresh",
  async (event, facts) => {
    const token = readSessionToken(event.cookies, config.sessionCookieName);
    const issued = await refreshSession(deps, token, nowSeconds());
    facts.user = issued.user;
    return sessionIssued(issued, config);
  },
  { refuseCrossSite: config.allowedOrigins },
);
