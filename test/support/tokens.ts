/** Mints tokens in the test with real crypto: valid ones with the dev key, and forgeries. */
import { randomBytes, randomUUID } from "node:crypto";
import { type JWTPayload, SignJWT } from "jose";
import type { SessionStore } from "../../shared/core/ports.ts";

export const ISSUER = "serverless-jwt-auth";
export const AUDIENCE = "serverless-jwt-auth/dev";
export const KEY_SECRET = "serverless-jwt-auth/dev/signing-key";

/** What devKey reads: a local Secrets Manager endpoint, or the shared service's copy of its key. */
export interface SecretsHolder {
  readonly store: {
    getSecretValue(input: Record<string, unknown>): Record<string, unknown>;
  };
}

/** The dev signing key as the local endpoint holds it: its version id and raw bytes. */
export function devKey(secrets: SecretsHolder, stage = "AWSCURRENT"): { kid: string; bytes: Uint8Array } {
  const value = secrets.store.getSecretValue({ SecretId: KEY_SECRET, VersionStage: stage });
  const jwk = JSON.parse(String(value.SecretString)) as { k: string };
  return { kid: String(value.VersionId), bytes: new Uint8Array(Buffer.from(jwk.k, "base64url")) };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A session token as the service would issue it, with any claim or header overridden. */
export function mintToken(
  key: { kid: string; bytes: Uint8Array },
  options: { claims?: JWTPayload; header?: Record<string, unknown>; now?: number } = {},
): Promise<string> {
  const now = options.now ?? nowSeconds();
  const claims: JWTPayload = {
    sub: "user1",
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    auth_time: now,
    sid: randomBytes(16).toString("base64url"),
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "session+jwt", kid: key.kid, ...options.header } as never)
    .sign(key.bytes);
}

/**
 * A token for a session that exists in the sessions table, as if its user signed in at `now`
 * (default: the token's iat), so that a refresh finds it live.
 */
export async function liveToken(
  store: SessionStore,
  key: { kid: string; bytes: Uint8Array },
  options: { claims?: JWTPayload; now?: number } = {},
): Promise<string> {
  const now = options.now ?? nowSeconds();
  const sid = randomBytes(16).toString("base64url");
  const user = String(options.claims?.sub ?? "user1");
  const authTime = Number(options.claims?.auth_time ?? now);
  await store.putSession({
    sid,
    username: user,
    authTime: authTime * 1000,
    createdAt: Date.now(),
    expiresAt: (authTime + 86_400) * 1000,
    handle: randomBytes(16).toString("base64url"),
    device: "",
    ip: "",
  });
  return mintToken(key, { now, claims: { sid, ...options.claims } });
}
