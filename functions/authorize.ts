/**
 * The session authorizer of the HTTP API (type request, payload 2.0, simple responses, identity
 * source the Cookie header), run by API Gateway before every route it is attached to.
 * Allows with context {username, authTime, expiresAt, sid} when the session cookie passes the checks
 * /welcome makes; refuses ({isAuthorized: false}, API Gateway's 403) otherwise; throws when the
 * key store (or, with REVOCATION_CHECK=every-request, a table) cannot be read (API Gateway's 500).
 * Reads the cookie named SESSION_COOKIE_NAME. See docs/authorizer.md.
 */

import { checkSession } from "../shared/core/session.ts";
import { authorizerCookies, authorizerHandler, sessionContext } from "../shared/http/authorizer.ts";
import { readSessionToken } from "../shared/http/cookies.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = authorizerHandler(async (event, facts) => {
  const token = readSessionToken(authorizerCookies(event), config.sessionCookieName);
  const session = await checkSession(deps, token);
  facts.user = session.user;
  return sessionContext(session);
});
