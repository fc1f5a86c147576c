/**
 * The core's ports in memory, for use-case tests with a moved clock: a SessionStore with the
 * conditions of the DynamoDB adapter (shared/aws/session-tables.ts), a KeyRing of keys made in
 * the test, and a clock the test sets. Nothing here is shared between instances.
 */
import { randomBytes } from "node:crypto";
import { unavailable } from "../../shared/core/errors.ts";
import type {
  AttemptRecord,
  KeyRing,
  RecordedToken,
  SessionRecord,
  SessionStore,
  UserRecord,
} from "../../shared/core/ports.ts";
import { importSigningKey, type SigningKey } from "../../shared/core/signing-key.ts";

/**
 * A SessionStore in maps. `failing` makes every call reject as a table outage does; `failingOn`
 * only the named methods (an outage between a read and a write).
 */
export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  /** Every call, by method name, so a test can count the writes of a use case. */
  readonly calls: string[] = [];
  failing = false;
  readonly failingOn = new Set<keyof SessionStore>();

  #enter(method: keyof SessionStore): void {
    this.calls.push(method);
    if (this.failing || this.failingOn.has(method)) throw unavailable(new Error("the memory store is failing"));
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    this.#enter("getUser");
    return this.users.get(username);
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    this.#enter("getSession");
    return this.sessions.get(sid);
  }

  async putSession(record: SessionRecord): Promise<void> {
    this.#enter("putSession");
    if (this.sessions.has(record.sid)) throw unavailable(new Error("session id collision"));
    this.sessions.set(record.sid, record);
  }

  async supersedeToken(
    sid: string,
    username: string,
    presented: { readonly jti: string; readonly recorded: boolean },
    next: RecordedToken,
    at: number,
  ): Promise<boolean> {
    this.#enter("supersedeToken");
    const record = this.sessions.get(sid);
    if (record === undefined || record.username !== username) return false;
    if (presented.recorded ? record.token?.jti !== presented.jti : record.token !== undefined) return false;
    this.sessions.set(sid, { ...record, token: next, superseded: { jti: presented.jti, at }, lastActiveAt: at });
    return true;
  }

  async deleteSession(sid: string, username: string): Promise<void> {
    this.#enter("deleteSession");
    if (this.sessions.get(sid)?.username === username) this.sessions.delete(sid);
  }

  async endUserSessions(username: string, at: number): Promise<boolean> {
    this.#enter("endUserSessions");
    const user = this.users.get(username);
    if (user === undefined) return false;
    if (user.sessionsValidAfter < at) this.users.set(username, { ...user, sessionsValidAfter: at });
    return true;
  }

  async getAttempts(username: string): Promise<AttemptRecord | undefined> {
    this.#enter("getAttempts");
    return this.attempts.get(username);
  }

  async putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean> {
    this.#enter("putAttempts");
    const stored = this.attempts.get(username);
    const unchanged =
      read === undefined
        ? stored === undefined
        : stored !== undefined && stored.failures === read.failures && stored.expiresAt === read.expiresAt;
    if (!unchanged) return false;
    this.attempts.set(username, next);
    return true;
  }

  async deleteAttempts(username: string): Promise<void> {
    this.#enter("deleteAttempts");
    this.attempts.delete(username);
  }
}

/** A KeyRing of random keys made in the test; rotate() makes a new current key, keeping the old. */
export class MemoryKeyRing implements KeyRing {
  readonly #keys: SigningKey[] = [];

  static async create(): Promise<MemoryKeyRing> {
    const ring = new MemoryKeyRing();
    await ring.rotate();
    return ring;
  }

  async rotate(): Promise<SigningKey> {
    const kid = `memory-key-${this.#keys.length + 1}-${randomBytes(12).toString("hex")}`;
    const key = { kid, key: await importSigningKey(randomBytes(32)) };
    this.#keys.push(key);
    return key;
  }

  async current(): Promise<SigningKey> {
    const key = this.#keys.at(-1);
    if (key === undefined) throw unavailable(new Error("no key yet"));
    return key;
  }

  async forKid(kid: string): Promise<SigningKey | undefined> {
    return this.#keys.find((key) => key.kid === kid);
  }
}
