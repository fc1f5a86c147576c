/**
 * The signed-in user's passkeys, with the session cookie (docs/passkeys.md):
 * POST /passkeys/registration-options {password?} -> 200 creation options;
 * POST /passkeys {response, name?} -> 201 {id, name, createdAt};
 * GET /passkeys -> 200 {passkeys: [{id, name, createdAt, lastUsedAt}]};
 * DELETE /passkeys/{id} {password?} -> 200.
 * Refusals: the session's 401s; 401 reauthentication_required (no recent sign-in, no password),
 * invalid_credentials, invalid_passkey; 404 passkey_not_found; 429; 400; 403; 413; 415; 503.
 */
import { listPasskeys, passkeyRegistrationOptions, registerPasskey, removePasskey } from "../shared/core/passkeys.ts";
import { clientFacts } from "../shared/http/client-facts.ts";
import { readSessionToken } from "../shared/http/cookies.ts";
import { httpHandler, json } from "../shared/http/handler.ts";
import { optionalPasskeyName, optionalPassword, passkeyBody } from "../shared/http/request.ts";
import { relyingParty, simpleWebAuthn } from "../shared/http/webauthn.ts";
import { config, passkeyDeps } from "../shared/runtime.ts";

const deps = passkeyDeps(simpleWebAuthn);
const PASSKEY_ID = /^[A-Za-z0-9_-]{1,1400}$/;

export const handler = httpHandler(
  "passkeys",
  async (event, facts) => {
    const token = readSessionToken(event.cookies, config.sessionCookieName);
    const rp = relyingParty(event, config);
    const client = clientFacts(event);
    switch (event.routeKey) {
      case "POST /passkeys/registration-options": {
        const password = optionalPassword(passkeyBody(event));
        return json(200, await passkeyRegistrationOptions(deps, rp, token, password, client));
      }
      case "POST /passkeys": {
        const body = passkeyBody(event);
        const created = await registerPasskey(deps, rp, token, body.response, optionalPasskeyName(body), client);
        return json(201, { id: created.id, name: created.name, createdAt: created.createdAt });
      }
      case "DELETE /passkeys/{id}": {
        const id = event.pathParameters?.id ?? "";
        const password = optionalPassword(passkeyBody(event));
        facts.user = await removePasskey(deps, token, PASSKEY_ID.test(id) ? id : "-", password, client);
        return json(200, { message: "Passkey removed." });
      }
      default:
        return json(200, { passkeys: await listPasskeys(deps, token) });
    }
  },
  { refuseCrossSite: config.allowedOrigins },
);
