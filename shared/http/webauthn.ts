/**
 * The WebAuthn edge: which relying party a request is for, and the core's WebAuthnVerifier on
 * @simplewebauthn/server, which reads and checks the browsers' standard JSON (RegistrationResponseJSON,
 * AuthenticationResponseJSON). Only the passkey functions import this file, so only their bundles
 * carry the library.
 */

import type { AuthenticatorTransport } from "@simplewebauthn/server";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { Config } from "../core/config.ts";
import type { AssertionClaims, NewCredential, PasskeyRecord, RelyingParty, WebAuthnVerifier } from "../core/ports.ts";
import type { HttpEvent } from "./event.ts";

/** A browser's prompt waits this long; the challenge itself lives longer (core/passkeys.ts). */
const CEREMONY_TIMEOUT_MS = 120_000;
const BASE64URL = /^[A-Za-z0-9_-]{1,1400}$/;
/** What serverless-offline puts in requestContext.domainName when local/offline-fidelity.cjs is not loaded. */
const LOCAL_DOMAINS = new Set(["localhost", "127.0.0.1", "offlineContext_domainName"]);

/**
 * The relying party of a request: WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS when set, else the API's
 * own domain as API Gateway reports it in the request context (never a Host or Origin header,
 * which the client writes); locally `localhost` and http://localhost:8000.
 */
export function relyingParty(
  event: HttpEvent,
  config: Pick<Config, "webauthnRpId" | "webauthnOrigins" | "webauthnRpName">,
): RelyingParty {
  const domain = String(event.requestContext?.domainName ?? "").toLowerCase();
  const local = LOCAL_DOMAINS.has(domain);
  const id = config.webauthnRpId ?? (local ? "localhost" : domain);
  const fallback = config.webauthnRpId === undefined && local ? "http://localhost:8000" : `https://${id}`;
  const origins = config.webauthnOrigins.length > 0 ? config.webauthnOrigins : [fallback];
  return { id, name: config.webauthnRpName, origins };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The challenge inside a response's clientDataJSON, unverified. */
function clientChallenge(response: unknown): string | undefined {
  const clientDataJSON = record(record(response)?.response)?.clientDataJSON;
  if (typeof clientDataJSON !== "string" || !BASE64URL.test(clientDataJSON)) return undefined;
  try {
    const challenge = record(JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")))?.challenge;
    return typeof challenge === "string" && BASE64URL.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a verification; a refusal of the library (it throws on most) is undefined. */
async function refusedAsUndefined<T>(verify: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await verify();
  } catch {
    return undefined;
  }
}

/** The core's WebAuthnVerifier on @simplewebauthn/server. */
export const simpleWebAuthn: WebAuthnVerifier = {
  creationOptions({ rp, userId, username, challenge, exclude }) {
    return generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: username,
      userID: Buffer.from(userId, "base64url"),
      challenge: Buffer.from(challenge, "base64url"),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: "none",
      excludeCredentials: exclude.map((passkey) => ({
        id: passkey.id,
        transports: passkey.transports as AuthenticatorTransport[],
      })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
  },

  requestOptions({ rp, challenge }) {
    return generateAuthenticationOptions({
      rpID: rp.id,
      challenge: Buffer.from(challenge, "base64url"),
      timeout: CEREMONY_TIMEOUT_MS,
      allowCredentials: [],
      userVerification: "required",
    });
  },

  registrationChallenge: clientChallenge,

  assertionClaims(response): AssertionClaims | undefined {
    const body = record(response);
    const challenge = clientChallenge(response);
    const userHandle = record(body?.response)?.userHandle;
    if (typeof body?.id !== "string" || !BASE64URL.test(body.id) || body.rawId !== body.id) return undefined;
    if (challenge === undefined || (userHandle !== undefined && typeof userHandle !== "string")) return undefined;
    return { credentialId: body.id, challenge, userHandle: userHandle === "" ? undefined : userHandle };
  },

  verifyRegistration(response, rp, challenge) {
    return refusedAsUndefined(async (): Promise<NewCredential | undefined> => {
      const result = await verifyRegistrationResponse({
        response: response as Parameters<typeof verifyRegistrationResponse>[0]["response"],
        expectedChallenge: challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.id,
        requireUserVerification: true,
      });
      if (!result.verified) return undefined;
      const { credential } = result.registrationInfo;
      return {
        id: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString("base64url"),
        signCount: credential.counter,
        transports: credential.transports ?? [],
      };
    });
  },

  verifyAssertion(response, rp, challenge, passkey: PasskeyRecord) {
    return refusedAsUndefined(async () => {
      const result = await verifyAuthenticationResponse({
        response: response as Parameters<typeof verifyAuthenticationResponse>[0]["response"],
        expectedChallenge: challenge,
        expectedOrigin: [...rp.origins],
        expectedRPID: rp.id,
        requireUserVerification: true,
        // The core judges the sign count (core/passkeys.ts, signCountWentBack) and logs a clone;
        // given 0, the library checks the signature and leaves the count to it.
        credential: {
          id: passkey.id,
          publicKey: Buffer.from(passkey.publicKey, "base64url"),
          counter: 0,
          transports: passkey.transports as AuthenticatorTransport[],
        },
      });
      return result.verified ? { signCount: result.authenticationInfo.newCounter } : undefined;
    });
  },
};
