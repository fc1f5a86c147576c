import { ConfigError } from "./errors.ts";

/** Settings of the service: read once per container from the environment, validated, frozen. */
export interface Config {
  readonly stage: string;
  /** Lifetime of one session token. */
  readonly tokenTtlSeconds: number;
  /** A token may be refreshed only when it has at most this long left. */
  readonly refreshWindowSeconds: number;
  /** Absolute session lifetime: no refresh past this long after sign-in. */
  readonly sessionMaxSeconds: number;
  /** How long a secret read from the store is used before it is read again. */
  readonly secretCacheSeconds: number;
  /** How long past its cache age a secret may still be used while the store is failing. */
  readonly secretStaleSeconds: number;
  /** Upper bound on one read of the secret store, retries included. */
  readonly secretTimeoutMs: number;
  /** After a failed read, the store is not read again for this long (an outage is not hammered). */
  readonly secretRetryMs: number;
  readonly signingKeySecretId: string;
  readonly usersSecretId: string;
  readonly issuer: string;
  readonly audience: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (raw.length > 512 || /[\u0000-\u001f]/.test(raw)) {
    throw new ConfigError(`${name} must be printable text of at most 512 characters`);
  }
  return raw;
}

/**
 * Reads and validates the configuration from an environment map (process.env in handlers).
 * Throws ConfigError naming the variable when a value is malformed or inconsistent.
 */
export function loadConfig(env: Env): Config {
  const stage = text(env, "STAGE", "dev");
  if (!/^[A-Za-z0-9-]{1,32}$/.test(stage)) {
    throw new ConfigError(`STAGE must be 1-32 letters, digits or dashes, got "${stage}"`);
  }
  const day = 86_400;
  const tokenTtlSeconds = integer(env, "TOKEN_TTL_SECONDS", 300, 10, day);
  const refreshWindowSeconds = integer(env, "REFRESH_WINDOW_SECONDS", 30, 1, day);
  const sessionMaxSeconds = integer(env, "SESSION_MAX_SECONDS", day, 10, 30 * day);
  if (refreshWindowSeconds >= tokenTtlSeconds) {
    throw new ConfigError(
      `REFRESH_WINDOW_SECONDS (${refreshWindowSeconds}) must be less than TOKEN_TTL_SECONDS (${tokenTtlSeconds})`,
    );
  }
  if (sessionMaxSeconds < tokenTtlSeconds) {
    throw new ConfigError(
      `SESSION_MAX_SECONDS (${sessionMaxSeconds}) must be at least TOKEN_TTL_SECONDS (${tokenTtlSeconds})`,
    );
  }
  return Object.freeze({
    stage,
    tokenTtlSeconds,
    refreshWindowSeconds,
    sessionMaxSeconds,
    secretCacheSeconds: integer(env, "SECRET_CACHE_SECONDS", 300, 0, day),
    secretStaleSeconds: integer(env, "SECRET_STALE_SECONDS", 900, 0, day),
    secretTimeoutMs: integer(env, "SECRET_TIMEOUT_MS", 3000, 100, 20_000),
    secretRetryMs: integer(env, "SECRET_RETRY_MS", 1000, 0, 60_000),
    signingKeySecretId: text(env, "SIGNING_KEY_SECRET_ID", `serverless-jwt-auth/${stage}/signing-key`),
    usersSecretId: text(env, "USERS_SECRET_ID", `serverless-jwt-auth/${stage}/users`),
    issuer: text(env, "TOKEN_ISSUER", "serverless-jwt-auth"),
    audience: text(env, "TOKEN_AUDIENCE", `serverless-jwt-auth/${stage}`),
  });
}
