/**
 * The session use cases: sign in (and startSession, which every way of signing in shares), check,
 * refresh, log out, log out everywhere. They see no
 * request and no table: tokens and credentials come in, the store, the key ring and the clock
 * are ports (ports.ts). Every time is epoch milliseconds from `deps.clock`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { audit } from "./audit.ts";
import type { Config } from "./config.ts";
import type { Credentials } from "./credentials.ts";
import { AppError, unavailable } from "./errors.ts";
import { admitAttempt, type LockoutPolicy } from "./lockout.ts";
import { log } from "./log.ts";
import { countMetric } from "./metrics.ts";
import type {
  AttemptRecord,
  ClientFacts,
  Clock,
  KeyRing,
  PasswordHasher,
  RecordedToken,
  SessionRecord,
  SessionStore,
  UserRecord,
} from "./ports.ts";
import {
  assertRefreshAllowed,
  type IssuedToken,
  issueSessionToken,
  type Session,
  type SessionIdentity,
  signSessionToken,
  type TokenPolicy,
  verifySessionToken,
  wholeSecond,
} from "./token.ts";

/** The settings the session use cases follow. */
export type SessionPolicy = TokenPolicy &
  LockoutPolicy &
  Pick<Config, "revocationCheck" | "maxSessionsPerUser" | "refreshGraceSeconds">;

/** What the session use cases need, built once per container. */
export interface SessionDeps {
  readonly keys: KeyRing;
  readonly store: SessionStore;
  readonly passwords: PasswordHasher;
  readonly clock: Clock;
  readonly policy: SessionPolicy;
}

const SID_BYTES = 16; // 128 random bits, for the sid and, apart from it, the handle

/** A fresh 128-bit random id, base64url. */
const randomId = (): string => randomBytes(SID_BYTES).toString("base64url");

/**
 * How many of a user's session items one index read returns: twice the limit, so that items
 * ended but not yet deleted, or concurrent sign-ins past the limit, do not hide live ones.
 */
export function sessionReadLimit(policy: Pick<Config, "maxSessionsPerUser">): number {
  return policy.maxSessionsPerUser * 2;
}

/** When a session was last used: its last refresh, else its sign-in. */
export const lastActive = (record: SessionRecord): number => record.lastActiveAt ?? record.createdAt;

/**
 * Signs a user in: authenticates them under the lockout, then starts a session and clears the
 * counter; if that fails, the attempt is taken back, so a 503 never costs the user an attempt.
 * Writes the audit event of the outcome. Throws what authenticate and startSession throw.
 */
export async function signIn(deps: SessionDeps, credentials: Credentials, client: ClientFacts): Promise<IssuedToken> {
  const now = deps.clock();
  const { user, takeBack } = await authenticate(deps, credentials, now, client);
  let issued: StartedSession;
  try {
    [issued] = await Promise.all([startSession(deps, user, client, now), deps.store.deleteAttempts(user.username)]);
  } catch (err) {
    await takeBack();
    throw err;
  }
  audit(
    "signin_succeeded",
    { user: user.username, session: issued.handle, outcome: "success", reason: "password_accepted" },
    client,
  );
  return issued;
}

/** A password checked under the lockout: the user, and how to take the counted attempt back. */
export interface Authenticated {
  readonly user: UserRecord;
  /** Puts the counter back as it was, unless another attempt changed it since; best effort. */
  takeBack(): Promise<void>;
}

/**
 * Checks a user's password under the sign-in lockout, as sign-in and a password change both do:
 * refuses a locked username before any password work, counts the attempt before the password is
 * checked, and leaves the count for the caller to clear on success (deleteAttempts) or take back.
 * An attempt that fails for any reason but a wrong password (the store, the key) is taken back
 * here. Audits a lock and a wrong password. Throws AppError `too_many_attempts`,
 * `invalid_credentials` (unknown user or wrong password alike) and `service_unavailable`.
 */
export async function authenticate(
  deps: SessionDeps,
  credentials: Credentials,
  now: number,
  client: ClientFacts,
): Promise<Authenticated> {
  const { username, password } = credentials;
  // The key is read too, so an outage of the secret store counts no attempt.
  const [, attempts, user] = await Promise.all([
    deps.keys.current(),
    deps.store.getAttempts(username),
    deps.store.getUser(username),
  ]);
  const admission = admitAttempt(attempts, now, deps.policy);
  if (!admission.admitted) {
    audit("signin_locked", { user: username, outcome: "refused", reason: "locked" }, client);
    throw new AppError("too_many_attempts", { retryAfterSeconds: admission.retryAfterSeconds });
  }
  const written = admission.next;
  const takeBack = () => putBackAttempt(deps.store, username, written, attempts);
  // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
  const counted = await deps.store.putAttempts(username, attempts, written).catch(async (err: unknown) => {
    await takeBack(); // the write may have been applied before its answer was lost (a timeout)
    throw err;
  });
  if (!counted) {
    audit("signin_locked", { user: username, outcome: "refused", reason: "concurrent_attempt" }, client);
    throw new AppError("too_many_attempts", { retryAfterSeconds: 1 });
  }
  // An unknown user costs the same scrypt work as a wrong password (a decoy hash).
  const matches = await deps.passwords.matches(password, user?.passwordHash).catch(async (err: unknown) => {
    await takeBack();
    throw err;
  });
  if (user === undefined || !matches) {
    const reason = user === undefined ? "unknown_user" : "wrong_password";
    audit("signin_failed", { user: username, outcome: "failure", reason }, client);
    throw new AppError("invalid_credentials");
  }
  return { user, takeBack };
}

/**
 * Takes back an attempt counted in advance whose check failed for a reason other than a wrong
 * password. Best effort: the outage that failed the sign-in may fail this too, and the sign-in's
 * own error is what the client is told.
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
    // Left counted: the record still expires.
  }
}

/** A session just started: its token, and the handle it is shown and audited by. */
export type StartedSession = IssuedToken & { readonly handle: string };

/**
 * Starts a session created at `now` for a user who has just proved who they are (sign-in, sign-up,
 * a password change, and any later way in): records it with its handle, device, address and
 * times, ends the least recently active of the user's live sessions beyond MAX_SESSIONS_PER_USER
 * (and deletes their ended ones on the way), and issues its token. `user` is the record as it
 * stands after the caller's own writes. Throws AppError `service_unavailable` when the key or the
 * store cannot be used.
 */
export async function startSession(
  deps: SessionDeps,
  user: UserRecord,
  client: ClientFacts,
  now: number,
): Promise<StartedSession> {
  const session: SessionIdentity = { user: user.username, sid: randomId(), authTime: wholeSecond(now) };
  const handle = randomId();
  // Signed first and answered only once stored: the session records its first newest token.
  const issued = await issueSessionToken(await deps.keys.current(), session, now, deps.policy, randomUUID());
  const [, others] = await Promise.all([
    deps.store.putSession({
      sid: session.sid,
      username: user.username,
      authTime: session.authTime,
      createdAt: now,
      expiresAt: session.authTime + deps.policy.sessionMaxSeconds * 1000,
      handle,
      device: client.device,
      ip: client.ip,
      lastActiveAt: now,
      token: recorded(issued),
    }),
    deps.store.listUserSessions(user.username, sessionReadLimit(deps.policy)),
  ]);
  const surplus = sessionsBeyondLimit(
    others.filter((record) => record.sid !== session.sid),
    user,
    now,
    deps.policy.maxSessionsPerUser - 1,
  );
  await Promise.all(surplus.map((record) => deps.store.deleteSession(record.sid, user.username)));
  return { ...issued, handle };
}

/**
 * Of a user's session items, those to delete so that at most `keep` live ones remain: every ended
 * or expired one, then the least recently active live ones.
 */
export function sessionsBeyondLimit(
  records: readonly SessionRecord[],
  user: UserRecord,
  now: number,
  keep: number,
): SessionRecord[] {
  const ended = records.filter((record) => recordEnded(record, user, now));
  const live = records
    .filter((record) => !recordEnded(record, user, now))
    .sort((a, b) => lastActive(b) - lastActive(a));
  return [...ended, ...live.slice(Math.max(0, keep))];
}

/**
 * Verifies a session token; with REVOCATION_CHECK=every-request, also that its session was not
 * ended and that it is not a superseded token past the grace. Throws what verifySessionToken
 * throws, AppError `session_revoked`, and `service_unavailable` when the key or the store cannot
 * be read.
 */
export async function checkSession(deps: SessionDeps, token: string): Promise<Session> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  if (deps.policy.revocationCheck === "every-request") await assertSessionLive(deps, session, now);
  return session;
}

/**
 * Re-issues a valid token in its refresh window, for the same session, signed with the current
 * key: the checkpoint where every ended session is refused, whatever REVOCATION_CHECK says. The
 * session's newest token gets a successor, recorded (with lastActiveAt) by one conditional write;
 * the token it superseded, presented again within REFRESH_GRACE_SECONDS, gets that same successor
 * (parallel tabs, a retry); presented later, it is taken for a stolen copy: the session ends and
 * the reuse is logged with the client's device and address. Throws what checkSession and
 * assertRefreshAllowed throw.
 */
export async function refreshSession(deps: SessionDeps, token: string, client: ClientFacts): Promise<IssuedToken> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  assertRefreshAllowed(session, now, deps.policy);
  const [read, user] = await readSession(deps.store, session);
  let record = liveRecord(session, read, user, now);
  let standing = tokenStanding(record, session.jti, now, deps.policy.refreshGraceSeconds);
  if (standing === "newest" || standing === "unrecorded") {
    const issued = await issueSessionToken(await deps.keys.current(), session, now, deps.policy, randomUUID());
    const presented = { jti: session.jti, recorded: standing === "newest" };
    if (await deps.store.supersedeToken(session.sid, session.user, presented, recorded(issued), now)) return issued;
    // Another refresh of this token came first: its successor is this one's too.
    record = liveRecord(session, await deps.store.getSession(session.sid), user, now);
    standing = tokenStanding(record, session.jti, now, deps.policy.refreshGraceSeconds);
  }
  if (standing === "in-grace" && record.token !== undefined) return signAgain(deps, session, record.token);
  if (standing !== "superseded") throw unavailable(new Error("a refresh race left the session unchanged"));
  // A superseded token after the grace: two holders of one session. End it for both.
  await deps.store.deleteSession(session.sid, session.user);
  log("warn", "refresh reuse", { user: session.user, session: record.handle, ip: client.ip, device: client.device });
  audit(
    "refresh_reuse",
    { user: session.user, session: record.handle, outcome: "refused", reason: "superseded_token" },
    client,
  );
  countMetric("RefreshReuse");
  throw new AppError("session_revoked");
}

/**
 * Ends the session of each valid token among `tokens` (the request's session cookies: one may
 * have been planted, so the caller's own is never left running); an invalid one ends nothing and
 * is no error. A session is ended only for the user its token names. Throws AppError
 * `service_unavailable` when the key or the store cannot be used, so a client is never told it is
 * signed out while its session lives on.
 */
export async function endSessions(deps: SessionDeps, tokens: readonly string[], client: ClientFacts): Promise<void> {
  const now = deps.clock();
  for (const token of tokens) {
    let session: Session;
    try {
      session = await verify(deps, token, now);
    } catch (err) {
      if (err instanceof AppError && err.status === 401) continue;
      throw err;
    }
    const ended = await deps.store.deleteSession(session.sid, session.user);
    if (ended !== undefined) {
      audit(
        "session_ended",
        { user: session.user, session: ended.handle, outcome: "success", reason: "logout" },
        client,
      );
    }
  }
}

/**
 * Ends every session of the signed-in user, this one included. Its own session must be live,
 * whatever REVOCATION_CHECK says: a token forged with a leaked key, or kept after its session
 * ended, cannot sign a user out everywhere. Throws what verifySessionToken throws, AppError
 * `session_revoked` and `service_unavailable`. Returns the user whose sessions were ended.
 */
export async function endAllSessions(deps: SessionDeps, token: string, client: ClientFacts): Promise<string> {
  const now = deps.clock();
  const session = await verify(deps, token, now);
  const { record } = await assertSessionLive(deps, session, now);
  await deps.store.endUserSessions(session.user, now);
  // The session that asked; every session of the user ended with it.
  const facts = {
    user: session.user,
    session: record.handle,
    outcome: "success",
    reason: "logout_everywhere",
  } as const;
  audit("session_ended", facts, client);
  return session.user;
}

/**
 * Verifies a token and that its session is live, whatever REVOCATION_CHECK says: what a route
 * that acts for the user (log out everywhere, change the password, their sessions) asks of its
 * caller. Throws what verifySessionToken throws, AppError `session_revoked` and
 * `service_unavailable`.
 */
export async function liveSession(deps: SessionDeps, token: string, now: number): Promise<Session> {
  const session = await verify(deps, token, now);
  await assertSessionLive(deps, session, now);
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
  return recordEnded(record, user, now);
}

/** Whether a user's session item is past its end or was ended by the user's sessionsValidAfter. */
export function recordEnded(record: SessionRecord, user: UserRecord, now: number): boolean {
  return record.username !== user.username || record.expiresAt <= now || record.createdAt <= user.sessionsValidAfter;
}

/** Verifies a session token (what verifySessionToken throws), with the deps' keys and policy. */
export function verify(deps: SessionDeps, token: string, now: number): Promise<Session> {
  return verifySessionToken(token, deps.keys, now, deps.policy);
}

/** Where a token stands among its session's tokens. */
export type TokenStanding = "newest" | "unrecorded" | "in-grace" | "superseded";

/**
 * Which of its session's tokens `jti` is: the newest, the one it superseded less than
 * `graceSeconds` ago, or an older one. On an item written before tokens were recorded, any token
 * is "unrecorded" (accepted, so an upgrade signs nobody out).
 */
export function tokenStanding(record: SessionRecord, jti: string, now: number, graceSeconds: number): TokenStanding {
  if (record.token === undefined) return "unrecorded";
  if (record.token.jti === jti) return "newest";
  const superseded = record.superseded;
  if (superseded?.jti === jti && now - superseded.at < graceSeconds * 1000) return "in-grace";
  return "superseded";
}

function recorded(issued: IssuedToken): RecordedToken {
  return { jti: issued.jti, issuedAt: issued.issuedAt, expiresAt: issued.expiresAt, kid: issued.kid };
}

/** The successor recorded by the first refresh, signed again: the same token, byte for byte. */
async function signAgain(deps: SessionDeps, session: Session, successor: RecordedToken): Promise<IssuedToken> {
  const signingKey = await deps.keys.forKid(successor.kid);
  if (signingKey === undefined) throw unavailable(new Error("the successor's signing key is gone"));
  return signSessionToken(signingKey, session, successor, deps.policy);
}

/** The session's item, unless the session was ended: AppError `session_revoked`. */
function liveRecord(
  session: SessionIdentity,
  record: SessionRecord | undefined,
  user: UserRecord | undefined,
  now: number,
): SessionRecord {
  if (record === undefined || sessionEnded(session, record, user, now)) throw new AppError("session_revoked");
  return record;
}

function readSession(store: SessionStore, session: SessionIdentity) {
  return Promise.all([store.getSession(session.sid), store.getUser(session.user)]);
}

/**
 * Throws AppError `session_revoked` unless the session is live and `session` is not a token it
 * superseded past the grace; returns its item and its user.
 */
export async function assertSessionLive(
  deps: SessionDeps,
  session: Session,
  now: number,
): Promise<{ record: SessionRecord; user: UserRecord }> {
  const [read, user] = await readSession(deps.store, session);
  const record = liveRecord(session, read, user, now);
  if (user === undefined || tokenStanding(record, session.jti, now, deps.policy.refreshGraceSeconds) === "superseded") {
    throw new AppError("session_revoked");
  }
  return { record, user };
}
