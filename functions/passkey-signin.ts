/**
 * Sign-in with a passkey, no username (discoverable credentials; docs/passkeys.md):
 * POST /signin/passkey-options -> 200 request options;
 * POST /signin/passkey with the AuthenticationResponseJSON -> what POST /signin answers: 200, a
 * new session cookie and {username, expiresAt, expiresAtIso, expiresInSeconds, refreshInSeconds}.
 * Refusals: 401 invalid_passkey (one answer for every reason); 400; 403; 413; 415; 503.
 */
import { passkeySignInOptions, signInWithPasskey } from "../shared/core/passkeys.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { httpHandler, json, sessionIssued } from "../shared/http/handler.ts";
import { passkeyBody } from "../shared/http/request.ts";
import { relyingParty, simpleWebAuthn } from "../shared/http/webauthn.ts";
import { config, passkeyDeps } from "../shared/runtime.ts";

const deps = passkeyDeps(simpleWebAuthn);

export const handler = httpHandler(
  "passkey-signin",
  async (event, facts) => {
    const rp = relyingParty(event, config);
    if (event.routeKey === "POST /signin/passkey-options") {
      passkeyBody(event); // JSON only, as every state-changing POST
      return json(200, await passkeySignInOptions(deps, rp));
    }
    const issued = await signInWithPasskey(deps, rp, passkeyBody(event), clientFacts(event));
    facts.user = issued.user;
    return sessionIssued(issued, config);
  },
  { refuseCrossSite: config.allowedOrigins },
);
