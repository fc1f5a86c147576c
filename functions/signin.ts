/**
 * POST /signin with JSON {"username","password"}.
 * 200 + session cookie + {username, expiresAt, expiresAtIso}; 401 invalid_credentials;
 * 400 invalid_json / invalid_request; 413 payload_too_large; 415 unsupported_media_type;
 * 503 service_unavailable when the secret store cannot be read.
 */
import { parseCredentials } from "../shared/credentials.ts";
import { httpHandler } from "../shared/http.ts";
import { config, nowSeconds, signingKeys, users } from "../shared/runtime.ts";
import { sessionResponse, signIn } from "../shared/session.ts";

export const handler = httpHandler("signin", async (event, facts) => {
  const credentials = parseCredentials(event);
  const issued = await signIn({ signingKeys, users, policy: config }, credentials, nowSeconds());
  facts.user = issued.user;
  return sessionResponse(issued);
});
