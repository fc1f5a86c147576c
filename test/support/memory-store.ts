/**
 * The core's ports in memory, for tests of the use cases without DynamoDB: a SessionStore that
 * keeps the adapter's promises (conditional writes, sessionsValidAfter only moving forward, a
 * session deleted only for its own user), a KeyRing over keys made here, and a clock the test
 * moves. Every call is recorded by method name, so a test can say what a use case read and wrote;
 * `failing` makes every call reject as a table outage does, `failingOn` only the named methods (an
 * outage between a read and a write).
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../shared/core/config.ts";
import { unavailable } from "../../shared/core/errors.ts";
import { ScryptPasswords } from "../../shared/core/passwords.ts";
import type {
  AttemptRecord,
  KeyRing,
  RecordedToken,
  SessionRecord,
  SessionStore,
  UserRecord,
} from "../../shared/core/ports.ts";
import type { SessionDeps, SessionPolicy } from "../../shared/core/session.ts";
import { importSigningKey, type SigningKey } from "../../shared/core/signing-key.ts";

/** Whether two counters are the same record, as the adapter's condition compares them. */
const sameAttempts = (a: AttemptRecord | undefined, b: AttemptRecord | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.failures === b.failures && a.expiresAt === b.expiresAt);

/**
 * The use cases' password port in memory tests: the real scrypt at N=2^10 (about 1 ms a hash, not
 * 80), as Django's and Rails' own test settings cheapen their hashers, since these tests are about
 * sessions, not hashing cost. It also checks hashes at the shipped costs. passwords.test.ts proves
 * the shipped cost and range; the handler tests, that the functions are wired to them.
 */
export const testPasswords = new ScryptPasswords({ N: 1024, r: 8, p: 1 }, { minN: 1024, maxN: 131_072, r: 8, p: 1 });

const hashed = new Map<string, Promise<string>>();

export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  /** Every call, by method name, in order. */
  readonly calls: string[] = [];
  failing = false;
  /** Methods that reject as an outage: "before" their write, or "after" it (a lost answer). */
  readonly failingOn = new Map<keyof SessionStore, "before" | "after">();

  #count(method: keyof SessionStore): void {
    this.calls.push(method);
    if (this.failing || this.failingOn.get(method) === "before") {
      throw unavailable(new Error("the memory store is failing"));
    }
  }

  /** Rejects as a timeout does when `method` is set to fail "after" its write was applied. */
  #after(method: keyof SessionStore): void {
    if (this.failingOn.get(method) === "after") throw unavailable(new Error(`${method} timed out`));
  }

  /**
   * Adds a user with `password` hashed by testPasswords; resolves to the store. A password is
   * hashed once per test file (a hash is only read).
   */
  async withUser(username: string, password: string, at = 0): Promise<this> {
    let hash = hashed.get(password);
    if (hash === undefined) {
      hash = testPasswords.hash(password);
      hashed.set(password, hash);
    }
    await this.addUser(username, await hash, at);
    return this;
  }

  /** Sets fields of a stored session, as another writer (a refresh) would. */
  touchSession(sid: string, fields: Partial<SessionRecord>): void {
    const record = this.sessions.get(sid);
    if (record !== undefined) this.sessions.set(sid, { ...record, ...fields });
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    this.#count("getUser");
    return this.users.get(username);
  }

  /** Creates a user if the name is free (the Map is set at once, so a test may skip the await). */
  async addUser(username: string, passwordHash: string, at = 0): Promise<boolean> {
    this.#count("addUser");
    if (this.users.has(username)) return false;
    this.users.set(username, { username, passwordHash, sessionsValidAfter: at });
    return true;
  }

  async setPassword(username: string, passwordHash: string, at: number): Promise<boolean> {
    this.#count("setPassword");
    const user = this.users.get(username);
    if (user === undefined) return false;
    this.users.set(username, { username, passwordHash, sessionsValidAfter: Math.max(user.sessionsValidAfter, at) });
    return true;
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    this.#count("getSession");
    return this.sessions.get(sid);
  }

  async putSession(record: SessionRecord): Promise<void> {
    this.#count("putSession");
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
    this.#count("supersedeToken");
    const record = this.sessions.get(sid);
    if (record === undefined || record.username !== username) return false;
    if (presented.recorded ? record.token?.jti !== presented.jti : record.token !== undefined) return false;
    this.sessions.set(sid, { ...record, token: next, superseded: { jti: presented.jti, at }, lastActiveAt: at });
    return true;
  }

  async deleteSession(sid: string, username: string): Promise<SessionRecord | undefined> {
    this.#count("deleteSession");
    const record = this.sessions.get(sid);
    if (record?.username !== username) return undefined;
    this.sessions.delete(sid);
    return record;
  }

  async listUserSessions(username: string, limit: number): Promise<SessionRecord[]> {
    this.#count("listUserSessions");
    return [...this.sessions.values()].filter((record) => record.username === username).slice(0, limit);
  }

  async endUserSessions(username: string, at: number): Promise<boolean> {
    this.#count("endUserSessions");
    const user = this.users.get(username);
    if (user === undefined) return false;
    if (user.sessionsValidAfter < at) this.users.set(username, { ...user, sessionsValidAfter: at });
    return true;
  }

  async getAttempts(username: string): Promise<AttemptRecord | undefined> {
    this.#count("getAttempts");
    return this.attempts.get(username);
  }

  async putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean> {
    this.#count("putAttempts");
    if (!sameAttempts(this.attempts.get(username), read)) return false;
    this.attempts.set(username, next);
    this.#after("putAttempts");
    return true;
  }

  async restoreAttempts(username: string, written: AttemptRecord, previous: AttemptRecord | undefined): Promise<void> {
    this.#count("restoreAttempts");
    if (!sameAttempts(this.attempts.get(username), written)) return;
    if (previous === undefined) this.attempts.delete(username);
    else this.attempts.set(username, previous);
  }

  async deleteAttempts(username: string): Promise<void> {
    this.#count("deleteAttempts");
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

  /** The current key, for a test that signs a forgery with it. */
  get key(): SigningKey {
    const key = this.#keys.at(-1);
    if (key === undefined) throw new Error("no key yet: use MemoryKeyRing.create()");
    return key;
  }

  async rotate(): Promise<SigningKey> {
    const kid = `memory-key-${this.#keys.length + 1}-${randomBytes(12).toString("hex")}`;
    const key = { kid, key: await importSigningKey(randomBytes(32)) };
    this.#keys.push(key);
    return key;
  }

  async current(): Promise<SigningKey> {
    return this.key;
  }

  async forKid(kid: string): Promise<SigningKey | undefined> {
    return this.#keys.find((key) => key.kid === kid);
  }
}

/** A clock the test sets and moves, in epoch milliseconds. */
export function movableClock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  const clock = () => now;
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

/** Deps for the use cases, all in memory; `env` as loadConfig reads it. */
export async function memoryDeps(env: Record<string, string> = {}) {
  const store = new MemoryStore();
  const keys = await MemoryKeyRing.create();
  const clock = movableClock();
  const policy: SessionPolicy = loadConfig(env);
  const deps: SessionDeps = { store, keys, passwords: testPasswords, clock, policy };
  return { deps, store, keys, clock };
}
