/**
 * The core's ports in memory, for use-case tests with a moved clock: a session store whose methods
 * can be made to fail (as DynamoDB's adapter fails: AppError `service_unavailable`), optionally
 * after the write was applied (a timeout that lost the answer), and a key ring of one key.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../shared/core/config.ts";
import { unavailable } from "../../shared/core/errors.ts";
import type { AttemptRecord, KeyRing, SessionRecord, SessionStore, UserRecord } from "../../shared/core/ports.ts";
import type { SessionDeps } from "../../shared/core/session.ts";
import { importSigningKey, type SigningKey } from "../../shared/core/signing-key.ts";

type Method = keyof SessionStore;

const same = (a: AttemptRecord | undefined, b: AttemptRecord | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.failures === b.failures && a.expiresAt === b.expiresAt);

export class MemoryStore implements SessionStore {
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  /** Methods that reject with service_unavailable; "after" ones apply their write first. */
  readonly failing = new Map<Method, "before" | "after">();

  async #call<T>(method: Method, write: () => T): Promise<T> {
    const mode = this.failing.get(method);
    if (mode === "before") throw unavailable(new Error(`${method} failed`));
    const result = write();
    if (mode === "after") throw unavailable(new Error(`${method} timed out`));
    return result;
  }

  getUser(username: string) {
    return this.#call("getUser", () => this.users.get(username));
  }
  getSession(sid: string) {
    return this.#call("getSession", () => this.sessions.get(sid));
  }
  putSession(record: SessionRecord) {
    return this.#call("putSession", () => {
      if (!this.sessions.has(record.sid)) this.sessions.set(record.sid, record);
    });
  }
  deleteSession(sid: string, username: string) {
    return this.#call("deleteSession", () => {
      if (this.sessions.get(sid)?.username === username) this.sessions.delete(sid);
    });
  }
  endUserSessions(username: string, at: number) {
    return this.#call("endUserSessions", () => {
      const user = this.users.get(username);
      if (user === undefined) return false;
      this.users.set(username, { ...user, sessionsValidAfter: Math.max(user.sessionsValidAfter, at) });
      return true;
    });
  }
  getAttempts(username: string) {
    return this.#call("getAttempts", () => this.attempts.get(username));
  }
  putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord) {
    return this.#call("putAttempts", () => {
      if (!same(this.attempts.get(username), read)) return false;
      this.attempts.set(username, next);
      return true;
    });
  }
  deleteAttempts(username: string) {
    return this.#call("deleteAttempts", () => {
      this.attempts.delete(username);
    });
  }
  restoreAttempts(username: string, written: AttemptRecord, previous: AttemptRecord | undefined) {
    return this.#call("restoreAttempts", () => {
      if (!same(this.attempts.get(username), written)) return;
      if (previous === undefined) this.attempts.delete(username);
      else this.attempts.set(username, previous);
    });
  }
}

/** A key ring of one random key, or of none (`current` fails as the secret store's outage does). */
export async function memoryKeys(available = true): Promise<KeyRing & { key: SigningKey }> {
  const key: SigningKey = { kid: randomBytes(24).toString("base64url"), key: await importSigningKey(randomBytes(32)) };
  return {
    key,
    current: async () => {
      if (!available) throw unavailable(new Error("no key"));
      return key;
    },
    forKid: async (kid) => (kid === key.kid ? key : undefined),
  };
}

/** Use-case dependencies in memory, at a clock the test moves. */
export async function memoryDeps(env: Record<string, string> = {}) {
  const store = new MemoryStore();
  const keys = await memoryKeys();
  const clock = { now: 1_800_000_000_000 };
  const deps: SessionDeps = { keys, store, clock: () => clock.now, policy: loadConfig(env) };
  return { deps, store, keys, clock };
}
