/**
 * What the core needs from the world, as interfaces: where users, sessions and sign-in counters
 * live, where signing keys come from, and what time it is. shared/aws/ implements them on
 * DynamoDB and Secrets Manager; the tests implement them in memory. Every time here is epoch
 * milliseconds.
 */
import type { SigningKey } from "./signing-key.ts";

/** The time now, in epoch milliseconds. */
export type Clock = () => number;

/** A user as stored: the password hash, and the time before which their sessions are ended. */
export interface UserRecord {
  readonly username: string;
  readonly passwordHash: string;
  /** Sessions created at or before it are ended (logout everywhere, a password change). */
  readonly sessionsValidAfter: number;
}

/** A session as stored, by its id. */
export interface SessionRecord {
  readonly sid: string;
  readonly username: string;
  /** The sign-in time as the token carries it (`auth_time`, whole seconds). */
  readonly authTime: number;
  /** The sign-in time, compared with the user's sessionsValidAfter. */
  readonly createdAt: number;
  /** End of the session (authTime + SESSION_MAX_SECONDS). */
  readonly expiresAt: number;
}

/** A username's consecutive failed sign-ins. */
export interface AttemptRecord {
  readonly failures: number;
  /** 0 when not locked. */
  readonly lockedUntil: number;
  /** When the record is forgotten (never trusted to have been deleted by then). */
  readonly expiresAt: number;
}

/**
 * Where users, sessions and sign-in failure counters live. Point reads and writes only. Every
 * method rejects with AppError `service_unavailable` when the store cannot answer.
 */
export interface SessionStore {
  getUser(username: string): Promise<UserRecord | undefined>;
  getSession(sid: string): Promise<SessionRecord | undefined>;
  /** Records a new session; never overwrites one. */
  putSession(record: SessionRecord): Promise<void>;
  /** Deletes a session if it belongs to `username`; another user's is left alone. */
  deleteSession(sid: string, username: string): Promise<void>;
  /**
   * Ends every session of a user created at or before `at`, never moving an earlier end back, so
   * no session another call ended comes back; false if no such user.
   */
  endUserSessions(username: string, at: number): Promise<boolean>;
  getAttempts(username: string): Promise<AttemptRecord | undefined>;
  /** Stores `next` if the record is still `read`; false when another attempt changed it first. */
  putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean>;
  deleteAttempts(username: string): Promise<void>;
  /**
   * Puts `previous` back (removes the record when undefined) if the record is still `written`;
   * leaves it alone when another attempt changed it since.
   */
  restoreAttempts(username: string, written: AttemptRecord, previous: AttemptRecord | undefined): Promise<void>;
}

/**
 * The signing keys: the current one signs, verification finds one by `kid`. Both reject with
 * AppError `service_unavailable` when no usable key can be read.
 */
export interface KeyRing {
  current(): Promise<SigningKey>;
  /** The key a token's `kid` names, or undefined when it is not one of ours. */
  forKid(kid: string): Promise<SigningKey | undefined>;
}
