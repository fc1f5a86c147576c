import { randomBytes } from "node:crypto";
import type { Config } from "./config.ts";
import { MAX_TOKEN_LENGTH, sessionCookieValues } from "./cookies.ts";
import type { Credentials } from "./credentials.ts";
import { TooManyRequestsError, UnauthorizedError } from "./errors.ts";
import { type AttemptRecord, admitAttempt, type LockoutPolicy } from "./lockout.ts";
import { passwordMatches } from "./passwords.ts";
import type { SigningKeyRing } from "./signing-key.ts";
import {
  assertRefreshAllowed,
  type IssuedToken,
  issueSessionToken,
  type Session,
  type SessionIdentity,
  type TokenPolicy,
  verifySessionToken,
} from "./token.ts";

/** A user as stored: the password hash, and the time before which their sessions are ended. */
export interface UserRecord {
  readonly username: string;
  readonly passwordHash: string;
  /** Epoch milliseconds: sessions created at or before it are ended (logout everywhere, passwd). */
  readonly sessionsValidAfter: number;
}

/** A session as stored, by its id. */
export interface SessionRecord {
  readonly sid: string;
  readonly username: string;
  /** Sign-in time, epoch seconds, as the token's auth_time. */
  readonly authTime: number;
  /** Sign-in time, epoch milliseconds, compared with the user's sessionsValidAfter. */
  readonly createdAt: number;
  /** End of the session (auth_time + SESSION_MAX_SECONDS), epoch seconds; also its TTL. */
  readonly expiresAt: number;
}

/**
 * Where users, sessions and sign-in failure counters live (shared/session-tables.ts: DynamoDB).
 * Point reads and writes only. Every method rejects with ServiceUnavailableError when the store
 * cannot answer.
 */
export interface SessionStore {
  getUser(username: string): Promise<UserRecord | undefined>;
  getSession(sid: string): Promise<SessionRecord | undefined>;
  putSession(record: SessionRecord): Promise<void>;
  deleteSession(sid: string): Promise<void>;
  /**
   * Ends every session of a user created at or before `at` (epoch ms), never moving an earlier
   * end back, so no session another call ended comes back; false if no such user.
   */
  endUserSessions(username: string, at: number): Promise<boolean>;
  getAttempts(username: string): Promise<AttemptRecord | undefined>;
  /** Stores `next` if the record is still `read`; false when another attempt changed it first. */
  putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean>;
  deleteAttempts(username: string): Promise<void>;
}

/** The settings the session use cases follow. */
export type SessionPolicy = TokenPolicy & LockoutPolicy & Pick<Config, "revocationCheck">;

/** What the session use cases need: the keys, the store and the policy, built once per container. */
export interface SessionDeps {
  readonly signingKeys: SigningKeyRing;
  readonly store: SessionStore;
  readonly policy: SessionPolicy;
}

/** What checking a session needs. */
export type VerifyDeps = Pick<SessionDeps, "signingKeys" | "store"> & {
  readonly policy: TokenPolicy & Pick<Config, "revocationCheck">;
};

const SID_BYTES = 16; // 128 random bits

/**
 * Signs a user in at `nowMs` (epoch milliseconds): refuses a locked username before any password
 * work, counts the attempt, checks the password, then records a new session and issues its token.
 * Throws TooManyRequestsError `too_many_attempts` (with Retry-After) while the username is locked,
 * UnauthorizedError `invalid_credentials` for an unknown user or a wrong password alike, and
 * ServiceUnavailableError when the key or the store cannot be read.
 */
export async function signIn(deps: SessionDeps, credentials: Credentials, nowMs: number): Promise<IssuedToken> {
  const now = Math.floor(nowMs / 1000);
  const { username, password } = credentials;
  const [signingKey, attempts, user] = await Promise.all([
    deps.signingKeys.current(),
    deps.store.getAttempts(username),
    deps.store.getUser(username),
  ]);
  const admission = admitAttempt(attempts, now, deps.policy);
  if (!admission.admitted) throw tooManyAttempts(admission.retryAfterSeconds);
  // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
  if (!(await deps.store.putAttempts(username, attempts, admission.next))) throw tooManyAttempts(1);
  if (!(await passwordMatches(password, user?.passwordHash))) {
    throw new UnauthorizedError("invalid_credentials", "Wrong username or password.");
  }
  const session: SessionIdentity = { user: username, sid: randomBytes(SID_BYTES).toString("base64url"), authTime: now };
  await Promise.all([
    deps.store.deleteAttempts(username),
    deps.store.putSession({
      sid: session.sid,
      username,
      authTime: now,
      createdAt: nowMs,
      expiresAt: now + deps.policy.sessionMaxSeconds,
    }),
  ]);
  return issueSessionToken(signingKey, session, now, deps.policy);
}

function tooManyAttempts(retryAfterSeconds: number): TooManyRequestsError {
  return new TooManyRequestsError("Too many failed sign-ins for this username. Try again later.", retryAfterSeconds);
}

/**
 * Verifies a session token at `now` (epoch seconds); with REVOCATION_CHECK=every-request, also
 * that its session was not ended. Throws what verifySessionToken throws, UnauthorizedError
 * `session_revoked`, and ServiceUnavailableError when the key or the store cannot be read.
 */
export async function checkSession(deps: VerifyDeps, token: string, now: number): Promise<Session> {
  const session = await verifySessionToken(token, (kid) => deps.signingKeys.forKid(kid), now, deps.policy);
  if (deps.policy.revocationCheck === "every-request") await assertSessionLive(deps.store, session, now);
  return session;
}

/**
 * Re-issues a valid token in its refresh window, for the same session, signed with the current
 * key: the checkpoint where every ended session is refused, whatever REVOCATION_CHECK says.
 * Throws what checkSession and assertRefreshAllowed throw.
 */
export async function refreshSession(deps: VerifyDeps, token: string, now: number): Promise<IssuedToken> {
  const session = await verifySessionToken(token, (kid) => deps.signingKeys.forKid(kid), now, deps.policy);
  assertRefreshAllowed(session, now, deps.policy);
  await assertSessionLive(deps.store, session, now);
  return issueSessionToken(await deps.signingKeys.current(), session, now, deps.policy);
}

/**
 * Ends the session of the request's cookies, if they hold a valid token; a missing or invalid
 * token ends nothing and is no error. When several session cookies were sent (one may have been
 * planted), ends the session of each valid one, so the caller's own is never left running.
 * Throws ServiceUnavailableError when the key or the store cannot be used, so a client is never
 * told it is signed out while its session lives on.
 */
export async function endSession(
  deps: VerifyDeps,
  cookies: readonly unknown[] | undefined,
  cookieName: string,
  now: number,
): Promise<void> {
  const tokens = sessionCookieValues(cookies, cookieName).filter((token) => token.length <= MAX_TOKEN_LENGTH);
  for (const token of tokens) {
    let session: Session;
    try {
      session = await verifySessionToken(token, (kid) => deps.signingKeys.forKid(kid), now, deps.policy);
    } catch (err) {
      if (err instanceof UnauthorizedError) continue;
      throw err;
    }
    await deps.store.deleteSession(session.sid);
  }
}

/**
 * Ends every session of the signed-in user at `nowMs` (epoch milliseconds), this one included.
 * Its own session must be live, whatever REVOCATION_CHECK says: a token forged with a leaked key,
 * or kept after its session ended, cannot sign a user out everywhere. Throws what
 * verifySessionToken throws, UnauthorizedError `session_revoked`, and ServiceUnavailableError.
 * Returns the user whose sessions were ended.
 */
export async function endAllSessions(deps: VerifyDeps, token: string, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const session = await verifySessionToken(token, (kid) => deps.signingKeys.forKid(kid), now, deps.policy);
  await assertSessionLive(deps.store, session, now);
  await deps.store.endUserSessions(session.user, nowMs);
  return session.user;
}

/**
 * Whether a verified session was ended: its item is missing, belongs to another sign-in, or is
 * past its end (TTL deletion is not trusted to have happened), its user is gone, or the user's
 * sessions were ended after it was created.
 */
export function sessionEnded(
  session: SessionIdentity,
  record: SessionRecord | undefined,
  user: UserRecord | undefined,
  now: number,
): boolean {
  if (record === undefined || user === undefined) return true;
  if (record.username !== session.user || record.authTime !== session.authTime) return true;
  if (record.expiresAt <= now) return true;
  return record.createdAt <= user.sessionsValidAfter;
}

async function assertSessionLive(store: SessionStore, session: SessionIdentity, now: number): Promise<void> {
  const [record, user] = await Promise.all([store.getSession(session.sid), store.getUser(session.user)]);
  if (sessionEnded(session, record, user, now)) {
    throw new UnauthorizedError("session_revoked", "The session was ended. Sign in again.");
  }
}
