import { randomUUID } from "node:crypto";
import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import type { Config } from "./config.ts";
import { USERNAME_PATTERN } from "./credentials.ts";
import { BadRequestError, HttpError, UnauthorizedError } from "./errors.ts";
import type { CryptoKey, SigningKey } from "./signing-key.ts";

/** The only algorithm this service signs or accepts. */
const ALGORITHM = "HS256";
/** The `typ` header of our session tokens, so no other JWT signed with the key passes for one. */
const TOKEN_TYPE = "session+jwt";

export type TokenPolicy = Pick<
  Config,
  "tokenTtlSeconds" | "refreshWindowSeconds" | "sessionMaxSeconds" | "issuer" | "audience"
>;

/** What a session token carries from sign-in to its last refresh. Times are epoch seconds. */
export interface SessionIdentity {
  readonly user: string;
  /** The session's id: names its item in the sessions table; kept across refreshes. */
  readonly sid: string;
  /** When the user signed in; kept across refreshes. */
  readonly authTime: number;
}

/** A verified session token. Times are epoch seconds. */
export interface Session extends SessionIdentity {
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** What a session id looks like: at least 128 random bits, base64url. */
const SID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** A freshly signed session token. */
export interface IssuedToken {
  readonly token: string;
  readonly user: string;
  readonly expiresAt: number;
  readonly maxAgeSeconds: number;
}

/** Finds the key for a token's `kid`; undefined when no such key is known. */
export type KeyForKid = (kid: string) => Promise<SigningKey | undefined>;

/**
 * Signs a session token for a session at `now` (epoch seconds). Its `authTime` is the original
 * sign-in time; the token never outlives the session that authTime starts.
 */
export async function issueSessionToken(
  signingKey: SigningKey,
  session: SessionIdentity,
  now: number,
  policy: TokenPolicy,
): Promise<IssuedToken> {
  const { user, sid, authTime } = session;
  const expiresAt = Math.min(now + policy.tokenTtlSeconds, authTime + policy.sessionMaxSeconds);
  const token = await new SignJWT({ auth_time: authTime, sid })
    .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: signingKey.kid })
    .setSubject(user)
    .setIssuer(policy.issuer)
    .setAudience(policy.audience)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(signingKey.key);
  return { token, user, expiresAt, maxAgeSeconds: expiresAt - now };
}

// Headers that would let a token name its own key or its source: never honoured, so refused.
const FORBIDDEN_HEADERS = ["jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"] as const;

/**
 * Verifies a session token at `now` (epoch seconds): HS256 only, our `typ`, `iss` and `aud`, a
 * live `exp`, a key found by `kid`, a username as `sub`, a session id as `sid`. It reads no
 * table: whether the session was ended is shared/session.ts's business. Throws UnauthorizedError
 * (`invalid_token`, `token_expired`) for any token that fails; ServiceUnavailableError passes
 * through when no key can be read.
 */
export async function verifySessionToken(
  token: string,
  keyForKid: KeyForKid,
  now: number,
  policy: TokenPolicy,
): Promise<Session> {
  try {
    const { payload } = await jwtVerify(token, (header) => resolveKey(header, keyForKid), {
      algorithms: [ALGORITHM],
      typ: TOKEN_TYPE,
      issuer: policy.issuer,
      audience: policy.audience,
      currentDate: new Date(now * 1000),
      maxTokenAge: policy.tokenTtlSeconds,
      requiredClaims: ["sub", "iat", "exp", "jti", "auth_time", "sid"],
    });
    const { sub, iat, exp, auth_time: authTime, sid } = payload;
    if (typeof sub !== "string" || !USERNAME_PATTERN.test(sub)) throw invalidToken();
    if (typeof sid !== "string" || !SID_PATTERN.test(sid)) throw invalidToken();
    if (typeof iat !== "number" || typeof exp !== "number") throw invalidToken();
    if (typeof authTime !== "number" || !Number.isSafeInteger(authTime) || authTime > iat) throw invalidToken();
    if (now - authTime >= policy.sessionMaxSeconds) {
      throw new UnauthorizedError("session_expired", "The session has ended. Sign in again.");
    }
    return { user: sub, sid, issuedAt: iat, expiresAt: exp, authTime };
  } catch (err) {
    throw toHttpError(err);
  }
}

/**
 * Refuses a refresh that comes too early (BadRequestError `refresh_too_early`: more than the
 * refresh window left) or after the absolute session lifetime (UnauthorizedError
 * `session_expired`).
 */
export function assertRefreshAllowed(session: Session, now: number, policy: TokenPolicy): void {
  if (now - session.authTime >= policy.sessionMaxSeconds) {
    throw new UnauthorizedError("session_expired", "The session has ended. Sign in again.");
  }
  const left = session.expiresAt - now;
  if (left > policy.refreshWindowSeconds) {
    throw new BadRequestError(
      "refresh_too_early",
      `The token can be refreshed in its last ${policy.refreshWindowSeconds} seconds; it has ${left} left.`,
    );
  }
}

async function resolveKey(header: JWTHeaderParameters, keyForKid: KeyForKid): Promise<CryptoKey> {
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw invalidToken();
  if (typeof header.kid !== "string") throw invalidToken();
  const signingKey = await keyForKid(header.kid);
  if (signingKey === undefined) throw invalidToken();
  return signingKey.key;
}

function invalidToken(): UnauthorizedError {
  return new UnauthorizedError("invalid_token", "The session token is not valid. Sign in again.");
}

/** The one translation of jose's errors, by their stable code, into HTTP errors. */
function toHttpError(err: unknown): unknown {
  if (err instanceof HttpError) return err;
  if (err instanceof errors.JOSEError) {
    if (err.code === "ERR_JWT_EXPIRED") {
      return new UnauthorizedError("token_expired", "The session token has expired. Sign in again.", {
        cause: err,
      });
    }
    return new UnauthorizedError("invalid_token", "The session token is not valid. Sign in again.", {
      cause: err,
    });
  }
  return err;
}
