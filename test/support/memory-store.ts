/**
 * The core's ports in memory, for the use cases' tests: a session store with the DynamoDB
 * adapter's conditions (a session is never overwritten, a counter is stored only if unchanged,
 * sessionsValidAfter only moves forward, a session is deleted only for its own user), a key ring
 * of one random key, and a clock the test moves. `fail` makes every store call reject as an outage.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { AppError, unavailable } from "../../shared/core/errors.ts";
import { hashPassword } from "../../shared/core/passwords.ts";
import type { AttemptRecord, KeyRing, SessionRecord, SessionStore, UserRecord } from "../../shared/core/ports.ts";
import { importSigningKey, type SigningKey } from "../../shared/core/signing-key.ts";

export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  /** While set, every call rejects with AppError `service_unavailable`. */
  fail = false;

  /** Adds a user with a real scrypt hash of `password`. */
  async addUser(username: string, password: string, sessionsValidAfter = 0): Promise<void> {
    this.users.set(username, { username, passwordHash: await hashPassword(password), sessionsValidAfter });
  }

  #check(): void {
    if (this.fail) throw unavailable(new Error("the memory store is failing, as the test asked"));
  }

  async getUser(username: string) {
    this.#check();
    return this.users.get(username);
  }

  async getSession(sid: string) {
    this.#check();
    return this.sessions.get(sid);
  }

  async putSession(record: SessionRecord) {
    this.#check();
    if (this.sessions.has(record.sid)) throw unavailable(new Error("session id collision"));
    this.sessions.set(record.sid, record);
  }

  async deleteSession(sid: string, username: string) {
    this.#check();
    if (this.sessions.get(sid)?.username === username) this.sessions.delete(sid);
  }

  async endUserSessions(username: string, at: number) {
    this.#check();
    const user = this.users.get(username);
    if (user === undefined) return false;
    this.users.set(username, { ...user, sessionsValidAfter: Math.max(user.sessionsValidAfter, at) });
    return true;
  }

  async getAttempts(username: string) {
    this.#check();
    return this.attempts.get(username);
  }

  async putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord) {
    this.#check();
    const stored = this.attempts.get(username);
    const unchanged =
      read === undefined
        ? stored === undefined
        : stored?.failures === read.failures && stored.expiresAt === read.expiresAt;
    if (unchanged) this.attempts.set(username, next);
    return unchanged;
  }

  async deleteAttempts(username: string) {
    this.#check();
    this.attempts.delete(username);
  }
}

/** A key ring of one random key (or of the keys given), as a container that read the secret. */
export async function memoryKeyRing(): Promise<KeyRing & { readonly key: SigningKey }> {
  const key: SigningKey = { kid: randomUUID(), key: await importSigningKey(randomBytes(32)) };
  return { key, current: async () => key, forKid: async (kid) => (kid === key.kid ? key : undefined) };
}

/** A clock the test moves: now() reads it, advance() moves it on by seconds. */
export function movedClock(start = Date.UTC(2027, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

/** Whether an error is the AppError of `code`. */
export const isCode = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;
