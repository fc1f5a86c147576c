/**
 * POST /password with the session cookie and JSON {"currentPassword","newPassword"}: replaces the
 * password, ends every session of the user, and answers as sign-in does, with a new session
 * cookie for this device. 400 weak_password (saying why) / invalid_json / invalid_request;
 * 401 invalid_credentials (counted toward the sign-in lockout) or a refused session;
 * 429 too_many_attempts; 403 cross_site_request; 413; 415; 503 service_unavailable.
 */

import { changePassword } from "../shared/core/account.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { readSessionToken } from "../shared/http/cookies.ts";
import { httpHandler, sessionIssued } from "../shared/http/handler.ts";
import { parsePasswordChange } from "../shared/http/request.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "change-password",
  async (event, facts) => {
    const token = readSessionToken(event.cookies, config.sessionCookieName);
    const issued = await changePassword(deps, token, parsePasswordChange(event), clientFacts(event));
    facts.user = issued.user;
    return sessionIssued(issued, config);
  },
  { refuseCrossSite: config.allowedOrigins },
);
