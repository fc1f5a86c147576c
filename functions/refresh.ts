/**
 * POST /refresh with the session cookie, in the token's last REFRESH_WINDOW_SECONDS.
 * 200 + new session cookie + the sign-in body; 400 refresh_too_early (cookie untouched);
 * 401 missing_token / invalid_token / ambiguous_token / token_expired / session_expired /
 * session_revoked (logged out, logged out everywhere, user removed or password changed, or a
 * superseded token reused after REFRESH_GRACE_SECONDS, which ends the session);
 * 403 cross_site_request; 503 service_unavailable when no key can be read or the tables cannot be used.
 */

import { refreshSession } from "../shared/core/session.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { readSessionToken } from "../shared/http/cookies.ts";
import { httpHandler, sessionIssued } from "../shared/http/handler.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "refresh",
  async (event, facts) => {
    const token = readSessionToken(event.cookies, config.sessionCookieName);
    const issued = await refreshSession(deps, token, clientFacts(event));
    facts.user = issued.user;
    return sessionIssued(issued, config);
  },
  { refuseCrossSite: config.allowedOrigins },
);
