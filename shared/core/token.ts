/**
 * Session tokens: HS256 JWTs of this service only, signed and verified with jose. Times in and
 * out are epoch milliseconds; the claims carry whole seconds, as JWTs do.
 */
import { errors, type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import type { Config } from "./config.ts";
import { USERNAME_PATTERN } from "./credentials.ts";
import { AppError } from "./errors.ts";
import type { KeyRing, RecordedToken } from "./ports.ts";
import type { CryptoKey, SigningKey } from "./signing-key.ts";

/** The only algorithm this service signs or accepts. */
const ALGORITHM = "HS256";
/** The `typ` header of our session tokens, so no other JWT signed with the key passes for one. */
const TOKEN_TYPE = "session+jwt";

export type TokenPolicy = Pick<
  Config,
  "tokenTtlSeconds" | "refreshWindowSeconds" | "sessionMaxSeconds" | "issuer" | "audience"
>;

/** What a session token carries from sign-in to its last refresh. */
export interface SessionIdentity {
  readonly user: string;
  /** The session's id: names its item in the sessions table; kept across refreshes. */
  readonly sid: string;
  /** When the user signed in (whole seconds); kept across refreshes. */
  readonly authTime: number;
}

/** A verified session token. */
export interface Session extends SessionIdentity {
  /** The token's own id (`jti`): which of its session's tokens it is. */
  readonly jti: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** What a session id looks like: at least 128 random bits, base64url. */
const SID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** A freshly signed session token, with the claims that sign it again. */
export interface IssuedToken extends RecordedToken {
  readonly token: string;
  readonly user: string;
}

/** What a token id looks like (we issue UUIDs). */
const JTI_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whole seconds, as JWT claims count. */
const seconds = (ms: number) => Math.floor(ms / 1000);

/** The time `now` rounded down to the whole second a JWT claim can carry. */
export function wholeSecond(now: number): number {
  return seconds(now) * 1000;
}

/**
 * Signs a session token, with id `jti`, for a session at `now`. It never outlives the session
 * that its authTime starts. The caller chooses the id, so it can record it before answering.
 */
export function issueSessionToken(
  signingKey: SigningKey,
  session: SessionIdentity,
  now: number,
  policy: TokenPolicy,
  jti: string,
): Promise<IssuedToken> {
  const issuedAt = seconds(now);
  const expiresAt = Math.min(issuedAt + policy.tokenTtlSeconds, seconds(session.authTime) + policy.sessionMaxSeconds);
  return signSessionToken(signingKey, session, { jti, issuedAt: issuedAt * 1000, expiresAt: expiresAt * 1000 }, policy);
}

/**
 * Signs a session token with the given claims: the same key, session and claims give the same
 * token, byte for byte (HS256 is deterministic), which is how a refresh race lands on one token.
 */
export async function signSessionToken(
  signingKey: SigningKey,
  session: SessionIdentity,
  claims: Pick<RecordedToken, "jti" | "issuedAt" | "expiresAt">,
  policy: TokenPolicy,
): Promise<IssuedToken> {
  const { user, sid, authTime } = session;
  const token = await new SignJWT({ auth_time: seconds(authTime), sid })
    .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: signingKey.kid })
    .setSubject(user)
    .setIssuer(policy.issuer)
    .setAudience(policy.audience)
    .setIssuedAt(seconds(claims.issuedAt))
    .setExpirationTime(seconds(claims.expiresAt))
    .setJti(claims.jti)
    .sign(signingKey.key);
  return {
    token,
    user,
    jti: claims.jti,
    issuedAt: wholeSecond(claims.issuedAt),
    expiresAt: wholeSecond(claims.expiresAt),
    kid: signingKey.kid,
  };
}

// Headers that would let a token name its own key or its source: never honoured, so refused.
const FORBIDDEN_HEADERS = ["jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"] as const;

/**
 * Verifies a session token at `now`: HS256 only, our `typ`, `iss` and `aud`, a live `exp`, no
 * older than the TTL, a key found by `kid`, a username as `sub`, a session id as `sid`, and a
 * sign-in within SESSION_MAX_SECONDS. It reads no table: whether the session was ended is
 * session.ts's business. The expiry it reports is never later than `iat` + TOKEN_TTL_SECONDS,
 * whatever `exp` says. Throws AppError `invalid_token`, `token_expired` or `session_expired`;
 * `service_unavailable` passes through when no key can be read.
 */
export async function verifySessionToken(
  token: string,
  keys: KeyRing,
  now: number,
  policy: TokenPolicy,
): Promise<Session> {
  try {
    const { payload } = await jwtVerify(token, (header) => resolveKey(header, keys), {
      algorithms: [ALGORITHM],
      typ: TOKEN_TYPE,
      issuer: policy.issuer,
      audience: policy.audience,
      currentDate: new Date(now),
      maxTokenAge: policy.tokenTtlSeconds,
      requiredClaims: ["sub", "iat", "exp", "jti", "auth_time", "sid"],
    });
    const { sub, iat, exp, jti, auth_time: authTime, sid } = payload;
    if (typeof sub !== "string" || !USERNAME_PATTERN.test(sub)) throw new AppError("invalid_token");
    if (typeof sid !== "string" || !SID_PATTERN.test(sid)) throw new AppError("invalid_token");
    if (typeof jti !== "string" || !JTI_PATTERN.test(jti)) throw new AppError("invalid_token");
    if (typeof iat !== "number" || typeof exp !== "number") throw new AppError("invalid_token");
    if (typeof authTime !== "number" || !Number.isSafeInteger(authTime) || authTime > iat) {
      throw new AppError("invalid_token");
    }
    if (seconds(now) - authTime >= policy.sessionMaxSeconds) throw new AppError("session_expired");
    return {
      user: sub,
      sid,
      jti,
      authTime: authTime * 1000,
      issuedAt: iat * 1000,
      expiresAt: Math.min(exp, iat + policy.tokenTtlSeconds) * 1000,
    };
  } catch (err) {
    throw fromJose(err);
  }
}

/**
 * Refuses a refresh that comes too early: AppError `refresh_too_early` while the token has more
 * than the refresh window left. (A session past its absolute lifetime never gets here:
 * verifySessionToken refused it.)
 */
export function assertRefreshAllowed(session: Session, now: number, policy: TokenPolicy): void {
  const left = seconds(session.expiresAt) - seconds(now);
  if (left > policy.refreshWindowSeconds) {
    throw new AppError("refresh_too_early", {
      detail: `The token can be refreshed in its last ${policy.refreshWindowSeconds} seconds; it has ${left} left.`,
    });
  }
}

async function resolveKey(header: JWTHeaderParameters, keys: KeyRing): Promise<CryptoKey> {
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new AppError("invalid_token");
  if (typeof header.kid !== "string") throw new AppError("invalid_token");
  const signingKey = await keys.forKid(header.kid);
  if (signingKey === undefined) throw new AppError("invalid_token");
  return signingKey.key;
}

/** The one translation of jose's errors, by their stable code. */
function fromJose(err: unknown): unknown {
  if (!(err instanceof errors.JOSEError)) return err;
  return new AppError(err.code === "ERR_JWT_EXPIRED" ? "token_expired" : "invalid_token", { cause: err });
}
