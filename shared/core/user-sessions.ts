/**
 * A user's sessions as they see them: list where they are signed in, end one of them, end all
 * but this one; and the same for operators, by username. A session is shown and ended by its
 * handle, never by its sid. Each reads the user's session items once, through the store's index
 * of sessions by username, bounded by sessionReadLimit. Times are epoch milliseconds.
 */
import { audit } from "./audit.ts";
import { AppError } from "./errors.ts";
import type { ClientFacts, SessionRecord, SessionStore, UserRecord } from "./ports.ts";
import {
  assertSessionLive,
  lastActive,
  recordEnded,
  type SessionDeps,
  type SessionPolicy,
  sessionReadLimit,
  verify,
} from "./session.ts";
import type { Session } from "./token.ts";

/** A live session as its user sees it. */
export interface SessionView {
  /** The session's handle. */
  readonly id: string;
  /** Whether it is the session of the request that asked. */
  readonly current: boolean;
  readonly device: string;
  readonly ip: string;
  readonly signedInAt: number;
  readonly lastActiveAt: number;
}

/** The live sessions among `records`, most recently active first; `currentSid` marks the caller's. */
function liveViews(records: readonly SessionRecord[], user: UserRecord, now: number, currentSid?: string) {
  return records
    .filter((record) => record.handle !== "" && !recordEnded(record, user, now))
    .sort((a, b) => lastActive(b) - lastActive(a))
    .map(
      (record): SessionView => ({
        id: record.handle,
        current: record.sid === currentSid,
        device: record.device,
        ip: record.ip,
        signedInAt: record.createdAt,
        lastActiveAt: lastActive(record),
      }),
    );
}

/**
 * The caller's live session (checked with consistent reads: an index read may lag a sign-in by a
 * moment) and the user's session items, read in parallel.
 */
async function callerAndSessions(deps: SessionDeps, token: string, now: number) {
  const session: Session = await verify(deps, token, now);
  const [{ record: own, user }, records] = await Promise.all([
    assertSessionLive(deps, session, now),
    deps.store.listUserSessions(session.user, sessionReadLimit(deps.policy)),
  ]);
  // The caller's own item as just read replaces the index's copy, or stands in for a missing one.
  return { session, user, records: [...records.filter((record) => record.sid !== session.sid), own] };
}

/**
 * The caller's live sessions, most recently active first, theirs marked `current`. Throws what
 * verifySessionToken throws, AppError `session_revoked` when the caller's session is not live, and
 * `service_unavailable`.
 */
export async function listSessions(
  deps: SessionDeps,
  token: string,
): Promise<{ user: string; sessions: SessionView[] }> {
  const now = deps.clock();
  const { session, user, records } = await callerAndSessions(deps, token, now);
  return { user: session.user, sessions: liveViews(records, user, now, session.sid) };
}

/**
 * Ends one live session of the caller's own, by its handle (this one included). Throws AppError
 * `session_not_found` for a handle that is no live session of theirs (another user's or unknown
 * alike), and what listSessions throws. Returns the user and whether it was the caller's session.
 */
export async function endSessionById(
  deps: SessionDeps,
  token: string,
  id: string,
  client: ClientFacts,
): Promise<{ user: string; current: boolean }> {
  const now = deps.clock();
  const { session, user, records } = await callerAndSessions(deps, token, now);
  const target = records.find((record) => record.handle !== "" && record.handle === id);
  if (target === undefined || recordEnded(target, user, now)) throw new AppError("session_not_found");
  await deps.store.deleteSession(target.sid, session.user);
  audit(
    "session_ended",
    { user: session.user, session: target.handle, outcome: "success", reason: "ended_by_user" },
    client,
  );
  return { user: session.user, current: target.sid === session.sid };
}

/**
 * Ends every session of the caller except theirs (deleting ended items on the way). Throws what
 * listSessions throws. Returns the user and how many live sessions were ended.
 */
export async function endOtherSessions(
  deps: SessionDeps,
  token: string,
  client: ClientFacts,
): Promise<{ user: string; ended: number }> {
  const now = deps.clock();
  const { session, user, records } = await callerAndSessions(deps, token, now);
  const others = records.filter((record) => record.sid !== session.sid);
  await Promise.all(others.map((record) => deps.store.deleteSession(record.sid, session.user)));
  for (const record of others.filter((other) => !recordEnded(other, user, now))) {
    audit(
      "session_ended",
      { user: session.user, session: record.handle, outcome: "success", reason: "logout_others" },
      client,
    );
  }
  return { user: session.user, ended: others.filter((record) => !recordEnded(record, user, now)).length };
}

/**
 * For operators: a user's live sessions (none is `current`), or undefined if no such user.
 * Throws AppError `service_unavailable`.
 */
export async function userSessions(
  store: SessionStore,
  username: string,
  now: number,
  policy: Pick<SessionPolicy, "maxSessionsPerUser">,
): Promise<SessionView[] | undefined> {
  const [user, records] = await Promise.all([
    store.getUser(username),
    store.listUserSessions(username, sessionReadLimit(policy)),
  ]);
  return user === undefined ? undefined : liveViews(records, user, now);
}

/**
 * For operators: ends one live session of a user by its handle; false if there is none.
 * Throws AppError `service_unavailable`.
 */
export async function endUserSession(
  store: SessionStore,
  username: string,
  id: string,
  now: number,
  policy: Pick<SessionPolicy, "maxSessionsPerUser">,
): Promise<boolean> {
  const [user, records] = await Promise.all([
    store.getUser(username),
    store.listUserSessions(username, sessionReadLimit(policy)),
  ]);
  const target = records.find((record) => record.handle !== "" && record.handle === id);
  if (user === undefined || target === undefined || recordEnded(target, user, now)) return false;
  await store.deleteSession(target.sid, username);
  return true;
}
