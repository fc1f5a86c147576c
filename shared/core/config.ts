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
  /**
   * Refreshes of one token within this long of its first refresh get the same successor (tabs,
   * retries); a refresh of it later is taken for a stolen copy and ends the session.
   */
  readonly refreshGraceSeconds: number;
  /** How long a secret read from the store is used before it is read again. */
  readonly secretCacheSeconds: number;
  /** How long past its cache age a secret may still be used while the store is failing. */
  readonly secretStaleSeconds: number;
  /** Upper bound on one read of the secret store, retries included. */
  readonly secretTimeoutMs: number;
  /** After a failed read, the store is not read again for this long (an outage is not hammered). */
  readonly secretRetryMs: number;
  readonly signingKeySecretId: string;
  /** DynamoDB table of users: username, password hash, sessionsValidAfter. */
  readonly usersTable: string;
  /** DynamoDB table of sessions, by `sid`. */
  readonly sessionsTable: string;
  /** DynamoDB table of failed sign-in counters, by username. */
  readonly signinAttemptsTable: string;
  /** Upper bound on one DynamoDB call, retries included. */
  readonly dynamodbTimeoutMs: number;
  /**
   * `refresh`: the session item is checked at each refresh only, so an ended session lasts until
   * its token expires. `every-request`: every route that checks a session reads its item too.
   */
  readonly revocationCheck: RevocationCheck;
  /** Live sessions a user may have; a sign-in beyond it ends the least recently active. */
  readonly maxSessionsPerUser: number;
  /** Consecutive failed sign-ins for one username before it is locked. */
  readonly signinMaxFailures: number;
  /** First lockout; each further failure doubles it, up to signinLockoutMaxSeconds. */
  readonly signinLockoutBaseSeconds: number;
  readonly signinLockoutMaxSeconds: number;
  readonly issuer: string;
  readonly audience: string;
  /** Name of the session cookie (`token`, the tutorial's; `__Host-token` on a custom domain). */
  readonly sessionCookieName: string;
  /**
   * Origins of same-site pages (a sibling subdomain, another port of localhost) allowed to call the state-changing routes (and, in
   * serverless.yml, to read answers through CORS with credentials). Empty by default.
   */
  readonly allowedOrigins: readonly string[];
  /** Shortest new password, in characters (NIST SP 800-63B: at least 15 as the only factor, never below 8). */
  readonly passwordMinLength: number;
  /** `open`: anyone may create an account at POST /signup; `closed` (default): it answers 403. */
  readonly signup: Signup;
  /** DynamoDB table of passkeys: by credential id, with a GSI by username. */
  readonly passkeysTable: string;
  /** DynamoDB table of the passkey ceremonies' single-use challenges. */
  readonly passkeyChallengesTable: string;
  /** Registering or removing a passkey needs a sign-in at most this old, or the password. */
  readonly reauthMaxSeconds: number;
  /** The WebAuthn RP ID; undefined: the API's own domain, from the request context. */
  readonly webauthnRpId: string | undefined;
  /** Exact origins a passkey ceremony may come from; empty: https:// on the RP ID's domain. */
  readonly webauthnOrigins: readonly string[];
  /** The service's name in the browser's passkey prompt. */
  readonly webauthnRpName: string;
}

export type RevocationCheck = "refresh" | "every-request";
export type Signup = "closed" | "open";

/** The service's name: the prefix of its resources, and a password the policy refuses. */
export const SERVICE_NAME = "serverless-jwt-auth";

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

function tableName(env: Env, name: string, fallback: string): string {
  const value = text(env, name, fallback);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    throw new ConfigError(`${name} must be a DynamoDB table name (3-255 letters, digits, _ . -), got "${value}"`);
  }
  return value;
}

function signup(env: Env): Signup {
  const value = text(env, "SIGNUP", "closed");
  if (value !== "closed" && value !== "open")
    throw new ConfigError(`SIGNUP must be "closed" or "open", got "${value}"`);
  return value;
}

function revocationCheck(env: Env): RevocationCheck {
  const value = text(env, "REVOCATION_CHECK", "refresh");
  if (value !== "refresh" && value !== "every-request") {
    throw new ConfigError(`REVOCATION_CHECK must be "refresh" or "every-request", got "${value}"`);
  }
  return value;
}

// A cookie name is an RFC 6265 token; we keep to characters no client escapes. `__Host-token`
// passes: our cookie is Secure, Path=/ and has no Domain, as that prefix demands.
const COOKIE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// An origin as browsers send it: scheme, host and optional port, nothing else.
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

function cookieName(env: Env): string {
  const name = text(env, "SESSION_COOKIE_NAME", "token");
  if (!COOKIE_NAME.test(name)) {
    throw new ConfigError(
      `SESSION_COOKIE_NAME must be 1-64 letters, digits, dots, dashes or underscores, got "${name}"`,
    );
  }
  return name;
}

function origins(env: Env, name = "ALLOWED_ORIGINS"): readonly string[] {
  const raw = env[name]?.trim() ?? "";
  if (raw === "") return Object.freeze([]);
  const list = raw.split(",").map((origin) => origin.trim().toLowerCase());
  for (const origin of list) {
    if (!ORIGIN.test(origin) || origin.length > 255) {
      throw new ConfigError(
        `${name} must be comma-separated origins such as https://app.example.com (no path, no *), got "${origin.slice(0, 80)}"`,
      );
    }
  }
  return Object.freeze([...new Set(list)]);
}

// A WebAuthn RP ID is a registrable domain (or localhost): lower-case labels, no scheme, no port.
const RP_ID = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function rpId(env: Env): string | undefined {
  const raw = env.WEBAUTHN_RP_ID?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (!RP_ID.test(raw)) {
    throw new ConfigError(
      `WEBAUTHN_RP_ID must be a domain name such as example.com (no scheme, no port), got "${raw}"`,
    );
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
  const signinLockoutBaseSeconds = integer(env, "SIGNIN_LOCKOUT_BASE_SECONDS", 30, 1, day);
  const signinLockoutMaxSeconds = integer(env, "SIGNIN_LOCKOUT_MAX_SECONDS", 900, 1, day);
  if (signinLockoutMaxSeconds < signinLockoutBaseSeconds) {
    throw new ConfigError(
      `SIGNIN_LOCKOUT_MAX_SECONDS (${signinLockoutMaxSeconds}) must be at least SIGNIN_LOCKOUT_BASE_SECONDS (${signinLockoutBaseSeconds})`,
    );
  }
  const webauthnRpId = rpId(env);
  const webauthnOrigins = origins(env, "WEBAUTHN_ORIGINS");
  // A browser uses a passkey only on its RP ID's domain or a subdomain of it.
  for (const origin of webauthnRpId === undefined ? [] : webauthnOrigins) {
    const host = new URL(origin).hostname;
    if (host !== webauthnRpId && !host.endsWith(`.${webauthnRpId}`)) {
      throw new ConfigError(
        `WEBAUTHN_ORIGINS: ${origin} is not on WEBAUTHN_RP_ID (${webauthnRpId}) or a subdomain of it`,
      );
    }
  }
  const prefix = `${SERVICE_NAME}-${stage}`;
  return Object.freeze({
    stage,
    tokenTtlSeconds,
    refreshWindowSeconds,
    sessionMaxSeconds,
    refreshGraceSeconds: integer(env, "REFRESH_GRACE_SECONDS", 10, 0, 300),
    secretCacheSeconds: integer(env, "SECRET_CACHE_SECONDS", 300, 0, day),
    secretStaleSeconds: integer(env, "SECRET_STALE_SECONDS", 900, 0, day),
    secretTimeoutMs: integer(env, "SECRET_TIMEOUT_MS", 3000, 100, 20_000),
    secretRetryMs: integer(env, "SECRET_RETRY_MS", 1000, 0, 60_000),
    signingKeySecretId: text(env, "SIGNING_KEY_SECRET_ID", `serverless-jwt-auth/${stage}/signing-key`),
    usersTable: tableName(env, "USERS_TABLE", `${prefix}-users`),
    sessionsTable: tableName(env, "SESSIONS_TABLE", `${prefix}-sessions`),
    signinAttemptsTable: tableName(env, "SIGNIN_ATTEMPTS_TABLE", `${prefix}-signin-attempts`),
    dynamodbTimeoutMs: integer(env, "DYNAMODB_TIMEOUT_MS", 1000, 100, 10_000),
    revocationCheck: revocationCheck(env),
    maxSessionsPerUser: integer(env, "MAX_SESSIONS_PER_USER", 20, 1, 100),
    signinMaxFailures: integer(env, "SIGNIN_MAX_FAILURES", 5, 1, 1000),
    signinLockoutBaseSeconds,
    signinLockoutMaxSeconds,
    issuer: text(env, "TOKEN_ISSUER", "serverless-jwt-auth"),
    audience: text(env, "TOKEN_AUDIENCE", `serverless-jwt-auth/${stage}`),
    sessionCookieName: cookieName(env),
    allowedOrigins: origins(env),
    passwordMinLength: integer(env, "PASSWORD_MIN_LENGTH", 15, 8, 64),
    signup: signup(env),
    passkeysTable: tableName(env, "PASSKEYS_TABLE", `${prefix}-passkeys`),
    passkeyChallengesTable: tableName(env, "PASSKEY_CHALLENGES_TABLE", `${prefix}-passkey-challenges`),
    reauthMaxSeconds: integer(env, "REAUTH_MAX_SECONDS", 300, 10, day),
    webauthnRpId,
    webauthnOrigins,
    webauthnRpName: text(env, "WEBAUTHN_RP_NAME", "serverless-jwt-auth"),
  });
}
