/**
 * GET /welcome with the session cookie.
 * 200 text/plain "Welcome <user>!"; 401 missing_token / invalid_token / ambiguous_token /
 * token_expired / session_expired; with REVOCATION_CHECK=every-request also session_revoked;
 * 503 service_unavailable when no key can be read (or, in every-request mode, the tables).
 */

import { checkSession } from "../shared/core/session.ts";
import { readSessionToken } from "../shared/http/cookies.ts";
import { httpHandler, text } from "../shared/http/handler.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler("welcome", async (event, facts) => {
  const token = readSessionToken(event.cookies, config.sessionCookieName);
  const session = await checkSession(deps, token);
  facts.user = session.user;
  return text(200, `Welcome ${session.user}!`);
});
