/**
 * The session use cases: sign in, check, refresh, log out, log out everywhere. They see no
 * request and no table: tokens and credentials come in, the store, the key ring and the clock
 * are ports (ports.ts). Every time is epoch milliseconds from `deps.clock`.
 */
import { randomBytes } from "node:crypto";
import { audit, type ClientFacts } from "./audit.ts";
import type { Config } from "./config.ts";
import type { Credentials } from "./credentials.ts";
import { AppError } from "./errors.ts";
import { admitAttempt, type LockoutPolicy } from "./lockout.ts";
import { passwordMatches } from "./passwords.ts";
import type { AttemptRecord, Clock, KeyRing, SessionRecord, SessionStore, UserRecord } from "./ports.ts";
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
 * checks the password, then records a new session and issues its token. An attempt that fails
 * for any reason but a wrong password is taken back. Writes the audit event of the outcome
 * (signin_succeeded, signin_failed, signin_locked) with `client`'s address and device. Throws AppError
 * `too_many_attempts` while the username is locked, `invalid_credentials` for an unknown user or
 * a wrong password alike, and `service_unavailable` when the key or the store cannot be read.
 */
export async function signIn(
  deps: SessionDeps,
  credentials: Credentials,
  client: ClientFacts = {},
): Promise<IssuedToken> {
  const now = deps.clock();
  const { username, password } = credentials;
  const [signingKey, attempts, user] = await Promise.all([
    deps.keys.current(),
    deps.store.getAttempts(username),
    deps.store.getUser(username),
  ]);
  const admission = admitAttempt(attempts, now, deps.policy);
  if (!admission.admitted) {
    audit("signin_locked", { user: username, outcome: "refused", reason: "locked" }, client);
    throw new AppError("too_many_attempts", { retryAfterSeconds: admission.retryAfterSeconds });
  }
  // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
  const written = admission.next;
  const uncount = () => putBackAttempt(deps.store, username, written, attempts);
  let counted: boolean;
  try {
    counted = await deps.store.putAttempts(username, attempts, written);
  } catch (err) {
    // The write may have been applied before its answer was lost (a timeout).
    await uncount();
    throw err;
  }
  if (!counted) {
    audit("signin_locked", { user: username, outcome: "refused", reason: "concurrent_attempt" }, client);
    throw new AppError("too_many_attempts", { retryAfterSeconds: 1 });
  }
  let matches: boolean;
  try {
    matches = await passwordMatches(password, user?.passwordHash);
  } catch (err) {
    await uncount();
    throw err;
  }
  if (!matches) {
    const reason = user === undefined ? "unknown_user" : "wrong_password";
    audit("signin_failed", { user: username, outcome: "failure", reason }, client);
    throw new AppError("invalid_credentials");
  }
  const session: SessionIdentity = {
    user: username,
    sid: randomBytes(SID_BYTES).toString("base64url"),
    authTime: wholeSecond(now),
  };
  try {
    await Promise.all([
      deps.store.deleteAttempts(username),
      deps.store.putSession({
        sid: session.sid,
        username,
        authTime: session.authTime,
        createdAt: now,
        expiresAt: session.authTime + deps.policy.sessionMaxSeconds * 1000,
      }),
    ]);
  } catch (err) {
    // The right password, but no session: the attempt must not count against the user.
    await uncount();
    throw err;
  }
  audit(
    "signin_succeeded",
    { user: username, sid: session.sid, outcome: "success", reason: "password_accepted" },
    client,
  );
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
export async function endSessions(
  deps: SessionDeps,
  tokens: readonly string[],
  client: ClientFacts = {},
): Promise<void> {
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
    audit("session_ended", { user: session.user, sid: session.sid, outcome: "success", reason: "logout" }, client);
  }
}

/**
 * Ends every session of the signed-in user, this one included. Its own session must be live,
 * whatever REVOCATION_CHECK says: a token forged with a leaked key, or kept after its session
 * ended, cannot sign a user out everywhere. Throws what verifySessionToken throws, AppError
 * `session_revoked` and `service_unavailable`. Returns the user whose sessions were ended.
 */
export async function endAllSessions(deps: SessionDeps, token: string, client: ClientFacts = {}): Promise<string> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  await assertSessionLive(deps.store, session, now);
  await deps.store.endUserSessions(session.user, now);
  // `session` is the one that asked; every session of the user ended with it.
  const facts = { user: session.user, sid: session.sid, outcome: "success", reason: "logout_everywhere" } as const;
  audit("session_ended", facts, client);
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

/**
 * Takes back an attempt counted in advance whose sign-in failed for a reason other than a wrong
 * password (the store or the key failed), so a 503 never costs the user an attempt. Best effort:
 * the outage that failed the sign-in may fail this too, and the sign-in's own error is what the
 * client is told.
 */
async function putBackAttempt(
  store: SessionStore,
  username: string,
  written: AttemptRecord,
  previous: AttemptRecord | undefined,
): Promise<void> {
  try {
    await store.restoreAttempts(username, written, previous);
  } catch {
    // Left counted: the same as before this rule, and the record still expires.
  }
}

function verify(deps: SessionDeps, token: string, now: number): Promise<Session> {
  return verifySessionToken(token, deps.keys, now, deps.policy);
}

async function assertSessionLive(store: SessionStore, session: SessionIdentity, now: number): Promise<void> {
  const [record, user] = await Promise.all([store.getSession(session.sid), store.getUser(session.user)]);
  if (sessionEnded(session, record, user, now)) throw new AppError("session_revoked");
}
