/**
 * POST /signin with JSON {"username","password"}.
 * 200 + session cookie + {username, expiresAt, expiresAtIso, expiresInSeconds, refreshInSeconds};
 * 401 invalid_credentials; 429 too_many_attempts + Retry-After while the username is locked out;
 * 400 invalid_json / invalid_request; 403 cross_site_request; 413 payload_too_large;
 * 415 unsupported_media_type; 503 service_unavailable when the secret store or a table cannot be used.
 */

import { signIn } from "../shared/core/session.ts";
import { clientFacts } from "../shared/http/event.ts";
import { httpHandler, sessionIssued } from "../shared/http/handler.ts";
import { parseCredentials } from "../shared/http/request.ts";
import { config, deps } from "../shared/runtime.ts";

export const handler = httpHandler(
  "signin",
  async (event, facts) => {
    const credentials = parseCredentials(event);
    const issued = await signIn(deps, credentials, clientFacts(event));
    facts.user = issued.user;
    return sessionIssued(issued, config);
  },
  { refuseCrossSite: config.allowedOrigins },
);
