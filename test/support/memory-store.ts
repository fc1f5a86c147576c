/**
 * The core's ports in memory, for tests of the use cases without DynamoDB: a SessionStore that
 * keeps the adapter's promises (conditional writes, sessionsValidAfter only moving forward, a
 * session deleted only for its own user), a KeyRing over keys made here, and a clock the test
 * moves. Every call is counted by method name, so a test can say what a use case read; while
 * `fail` is set, every call rejects as an outage does.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../shared/core/config.ts";
import { unavailable } from "../../shared/core/errors.ts";
import { hashPassword } from "../../shared/core/passwords.ts";
import type { AttemptRecord, KeyRing, SessionRecord, SessionStore, UserRecord } from "../../shared/core/ports.ts";
import type { SessionDeps, SessionPolicy } from "../../shared/core/session.ts";
import { importSigningKey, type SigningKey } from "../../shared/core/signing-key.ts";

export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  readonly calls = new Map<string, number>();
  /** While set, every call rejects with AppError `service_unavailable`. */
  fail = false;

  #count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    if (this.fail) throw unavailable(new Error("the memory store is failing, as the test asked"));
  }

  /** Adds a user with `password` hashed, as the users CLI would; resolves to the store. */
  async withUser(username: string, password: string, at = 0): Promise<this> {
    await this.addUser(username, await hashPassword(password), at);
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

  async deleteSession(sid: string, username: string): Promise<void> {
    this.#count("deleteSession");
    if (this.sessions.get(sid)?.username === username) this.sessions.delete(sid);
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
    const stored = this.attempts.get(username);
    const unchanged =
      read === undefined
        ? stored === undefined
        : stored?.failures === read.failures && stored.expiresAt === read.expiresAt;
    if (!unchanged) return false;
    this.attempts.set(username, next);
    return true;
  }

  async deleteAttempts(username: string): Promise<void> {
    this.#count("deleteAttempts");
    this.attempts.delete(username);
  }
}

/** A key ring of one random key, made here. */
export async function memoryKeyRing(): Promise<KeyRing & { readonly key: SigningKey; readonly bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(32));
  const key: SigningKey = { kid: randomBytes(16).toString("hex"), key: await importSigningKey(bytes) };
  return { key, bytes, current: async () => key, forKid: async (kid) => (kid === key.kid ? key : undefined) };
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
  const keys = await memoryKeyRing();
  const clock = movableClock();
  const policy: SessionPolicy = loadConfig(env);
  const deps: SessionDeps = { store, keys, clock, policy };
  return { deps, store, keys, clock };
}
