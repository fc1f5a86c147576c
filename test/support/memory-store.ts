/**
 * The core's ports in memory, for use-case tests with a moved clock: a SessionStore that keeps
 * the DynamoDB adapter's promises (conditional writes, sessionsValidAfter never moved back), a
 * KeyRing over one fresh random key, and a clock the test moves.
 */
import { hashPassword } from "../../shared/core/passwords.ts";
import type {
  AttemptRecord,
  Clock,
  KeyRing,
  SessionRecord,
  SessionStore,
  UserRecord,
} from "../../shared/core/ports.ts";
import {
  importSigningKey,
  newSigningKeyJwk,
  parseSigningKeyJwk,
  type SigningKey,
} from "../../shared/core/signing-key.ts";

/** A SessionStore in memory, with the same conditions as the DynamoDB adapter (session-tables.ts). */
export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();

  /** Adds a user with `password` hashed, as the users CLI would; resolves to the store. */
  async withUser(username: string, password: string, at = 0): Promise<this> {
    await this.addUser(username, await hashPassword(password), at);
    return this;
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    return this.users.get(username);
  }

  async addUser(username: string, passwordHash: string, at: number): Promise<boolean> {
    if (this.users.has(username)) return false;
    this.users.set(username, { username, passwordHash, sessionsValidAfter: at });
    return true;
  }

  async setPassword(username: string, passwordHash: string, at: number): Promise<boolean> {
    const user = this.users.get(username);
    if (user === undefined) return false;
    this.users.set(username, { username, passwordHash, sessionsValidAfter: Math.max(user.sessionsValidAfter, at) });
    return true;
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(sid);
  }

  async putSession(record: SessionRecord): Promise<void> {
    if (this.sessions.has(record.sid)) throw new Error("session id collision");
    this.sessions.set(record.sid, record);
  }

  async deleteSession(sid: string, username: string): Promise<void> {
    if (this.sessions.get(sid)?.username === username) this.sessions.delete(sid);
  }

  async endUserSessions(username: string, at: number): Promise<boolean> {
    const user = this.users.get(username);
    if (user === undefined) return false;
    this.users.set(username, { ...user, sessionsValidAfter: Math.max(user.sessionsValidAfter, at) });
    return true;
  }

  async getAttempts(username: string): Promise<AttemptRecord | undefined> {
    return this.attempts.get(username);
  }

  async putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean> {
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
    this.attempts.delete(username);
  }
}

/** A KeyRing of one random key, as a container whose secret was never rotated sees it. */
export class MemoryKeyRing implements KeyRing {
  readonly #key: Promise<SigningKey>;

  constructor(jwk = newSigningKeyJwk(), kid = "memory-key-0000000000000000000000000") {
    this.#key = importSigningKey(parseSigningKeyJwk(jwk)).then((key) => ({ kid, key }));
  }

  current(): Promise<SigningKey> {
    return this.#key;
  }

  async forKid(kid: string): Promise<SigningKey | undefined> {
    const key = await this.#key;
    return key.kid === kid ? key : undefined;
  }
}

/** A clock that stands still until the test moves it. */
export interface MovedClock {
  readonly clock: Clock;
  /** Moves it forward by `ms` milliseconds. */
  advance(ms: number): void;
}

export function movedClock(start = Date.UTC(2026, 0, 1)): MovedClock {
  let now = start;
  return {
    clock: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}
