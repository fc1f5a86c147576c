/**
 * The session use cases: sign in, check, refresh, log out, log out everywhere. They see no
 * request and no table: tokens and credentials come in, the store, the key ring and the clock
 * are ports (ports.ts). Every time is epoch milliseconds from `deps.clock`.
 */
import { randomBytes } from "node:crypto";
import type { Config } from "./config.ts";
import type { Credentials } from "./credentials.ts";
import { AppError } from "./errors.ts";
import { admitAttempt, type LockoutPolicy } from "./lockout.ts";
import { passwordMatches } from "./passwords.ts";
import type { AttemptRecord, Clock, KeyRing, SessionRecord, SessionStore, UserRecord } from "./ports.ts";
import type { SigningKey } from "./signing-key.ts";
import {
  assertRefreshAllowed,
  type IssuedToken,
  issueSessionToken,
  type Session,
  type SessionIdentity,
  type TokenPolicy,
  verifySessionToken,
  wholeSecond,
} from "./token.ts";

/** The settings the session use cases follow. */
export type SessionPolicy = TokenPolicy & LockoutPolicy & Pick<Config, "revocationCheck">;

/** What the session use cases need, built once per container. */
export interface SessionDeps {
  readonly keys: KeyRing;
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly policy: SessionPolicy;
}

const SID_BYTES = 16; // 128 random bits

/**
 * Signs a user in: refuses a locked username before any password work, counts the attempt,
 * checks the password, then records a new session and issues its token. Throws AppError
 * `too_many_attempts` while the username is locked, `invalid_credentials` for an unknown user or
 * a wrong password alike, and `service_unavailable` when the key or the store cannot be read.
 */
export async function signIn(deps: SessionDeps, credentials: Credentials): Promise<IssuedToken> {
  const now = deps.clock();
  const { username } = credentials;
  const [signingKey, attempts, user] = await Promise.all([
    deps.keys.current(),
    deps.store.getAttempts(username),
    deps.store.getUser(username),
  ]);
  await checkPasswordCounted(deps, credentials, attempts, user, now);
  const [, issued] = await Promise.all([
    deps.store.deleteAttempts(username),
    startSession(deps, signingKey, username, now),
  ]);
  return issued;
}

/**
 * Checks a password as sign-in does: refuses a locked username before any password work and
 * counts the attempt before the check. The caller removes the record after a success. Throws
 * AppError `too_many_attempts`, `invalid_credentials`, or `service_unavailable`.
 */
export async function checkPasswordCounted(
  deps: SessionDeps,
  credentials: Credentials,
  attempts: AttemptRecord | undefined,
  user: UserRecord | undefined,
  now: number,
): Promise<void> {
  const admission = admitAttempt(attempts, now, deps.policy);
  if (!admission.admitted) throw new AppError("too_many_attempts", { retryAfterSeconds: admission.retryAfterSeconds });
  // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
  if (!(await deps.store.putAttempts(credentials.username, attempts, admission.next))) {
    throw new AppError("too_many_attempts", { retryAfterSeconds: 1 });
  }
  if (!(await passwordMatches(credentials.password, user?.passwordHash))) throw new AppError("invalid_credentials");
}

/**
 * Records a new session of `username` signed in at `now` and issues its token. Throws AppError
 * `service_unavailable` when the store cannot be written.
 */
export async function startSession(
  deps: SessionDeps,
  signingKey: SigningKey,
  username: string,
  now: number,
): Promise<IssuedToken> {
  const session: SessionIdentity = {
    user: username,
    sid: randomBytes(SID_BYTES).toString("base64url"),
    authTime: wholeSecond(now),
  };
  await deps.store.putSession({
    sid: session.sid,
    username,
    authTime: session.authTime,
    createdAt: now,
    expiresAt: session.authTime + deps.policy.sessionMaxSeconds * 1000,
  });
  return issueSessionToken(signingKey, session, now, deps.policy);
}

/**
 * Verifies a session token; with REVOCATION_CHECK=every-request, also that its session was not
 * ended. Throws what verifySessionToken throws, AppError `session_revoked`, and
 * `service_unavailable` when the key or the store cannot be read.
 */
export async function checkSession(deps: SessionDeps, token: string): Promise<Session> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  if (deps.policy.revocationCheck === "every-request") await assertSessionLive(deps.store, session, now);
  return session;
}

/**
 * Re-issues a valid token in its refresh window, for the same session, signed with the current
 * key: the checkpoint where every ended session is refused, whatever REVOCATION_CHECK says.
 * Throws what checkSession and assertRefreshAllowed throw.
 */
export async function refreshSession(deps: SessionDeps, token: string): Promise<IssuedToken> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  assertRefreshAllowed(session, now, deps.policy);
  await assertSessionLive(deps.store, session, now);
  return issueSessionToken(await deps.keys.current(), session, now, deps.policy);
}

/**
 * Ends the session of each valid token among `tokens` (the request's session cookies: one may
 * have been planted, so the caller's own is never left running); an invalid one ends nothing and
 * is no error. A session is ended only for the user its token names. Throws AppError
 * `service_unavailable` when the key or the store cannot be used, so a client is never told it is
 * signed out while its session lives on.
 */
export async function endSessions(deps: SessionDeps, tokens: readonly string[]): Promise<void> {
  const now = deps.clock();
  for (const token of tokens) {
    let session: Session;
    try {
      session = await verify(deps, token, now);
    } catch (err) {
      if (err instanceof AppError && err.status === 401) continue;
      throw err;
    }
    await deps.store.deleteSession(session.sid, session.user);
  }
}

/**
 * Ends every session of the signed-in user, this one included. Its own session must be live,
 * whatever REVOCATION_CHECK says: a token forged with a leaked key, or kept after its session
 * ended, cannot sign a user out everywhere. Throws what verifySessionToken throws, AppError
 * `session_revoked` and `service_unavailable`. Returns the user whose sessions were ended.
 */
export async function endAllSessions(deps: SessionDeps, token: string): Promise<string> {
  const now = deps.clock();
  const session = await checkLiveSession(deps, token, now);
  await deps.store.endUserSessions(session.user, now);
  return session.user;
}

/**
 * Verifies a session token and that its session was not ended, whatever REVOCATION_CHECK says.
 * Throws what verifySessionToken throws, AppError `session_revoked` and `service_unavailable`.
 */
export async function checkLiveSession(deps: SessionDeps, token: string, now: number): Promise<Session> {
  const session = await verify(deps, token, now);
  await assertSessionLive(deps.store, session, now);
  return session;
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

function verify(deps: SessionDeps, token: string, now: number): Promise<Session> {
  return verifySessionToken(token, deps.keys, now, deps.policy);
}

async function assertSessionLive(store: SessionStore, session: SessionIdentity, now: number): Promise<void> {
  const [record, user] = await Promise.all([store.getSession(session.sid), store.getUser(session.user)]);
  if (sessionEnded(session, record, user, now)) throw new AppError("session_revoked");
}
