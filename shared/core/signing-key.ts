/** The signing key's format: a JSON Web Key in the secret, a kid per version, HMAC-SHA-256. */
import { randomBytes, type webcrypto } from "node:crypto";
import { UnusableSecretError } from "./errors.ts";

/** A WebCrypto key, as Node types it. */
export type CryptoKey = webcrypto.CryptoKey;

/** An HMAC key ready for jose, and the secret version it came from (the tokens' `kid`). */
export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

/** Fewest key bytes accepted: HS256 wants at least the hash size (RFC 7518, 3.2). */
export const MIN_KEY_BYTES = 32;

/**
 * How a `kid` of ours looks: a Secrets Manager version id, which is the rotation's
 * ClientRequestToken, 32 to 64 characters (AWS's bounds), here also visible ASCII. A kid of any
 * other shape is refused unread; rotation refuses any other token at createSecret.
 */
export const KID_PATTERN = /^[\x21-\x7e]{32,64}$/;

/**
 * Decodes the secret value, a JSON Web Key `{"kty":"oct","k":"<base64url>","alg":"HS256"}`, into
 * raw key bytes. Throws UnusableSecretError, without quoting the value, when it is not such a key
 * or is shorter than MIN_KEY_BYTES.
 */
export function parseSigningKeyJwk(value: string): Uint8Array {
  let jwk: unknown;
  try {
    jwk = JSON.parse(value);
  } catch {
    throw new UnusableSecretError("signing key secret is not JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new UnusableSecretError("signing key secret is not a JSON object");
  }
  const { kty, k, alg } = jwk as Record<string, unknown>;
  if (kty !== "oct" || typeof k !== "string" || !/^[A-Za-z0-9_-]+$/.test(k)) {
    throw new UnusableSecretError('signing key secret is not an "oct" JWK with a base64url "k"');
  }
  if (alg !== undefined && alg !== "HS256") {
    throw new UnusableSecretError('signing key secret has an "alg" other than HS256');
  }
  const bytes = Buffer.from(k, "base64url");
  if (bytes.length < MIN_KEY_BYTES) {
    throw new UnusableSecretError(`signing key is shorter than ${MIN_KEY_BYTES} bytes`);
  }
  return new Uint8Array(bytes);
}

/** A new random key of MIN_KEY_BYTES as the JSON Web Key the signing-key secret holds. */
export function newSigningKeyJwk(): string {
  return JSON.stringify({ kty: "oct", k: randomBytes(MIN_KEY_BYTES).toString("base64url"), alg: "HS256" });
}

/** Imports key bytes once as a non-extractable HMAC-SHA-256 CryptoKey. */
export function importSigningKey(bytes: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}
