/**
 * What the core needs from the world, as interfaces: where users, sessions and sign-in counters
 * live, where signing keys come from, and what time it is. shared/aws/ implements them on
 * DynamoDB and Secrets Manager; the tests implement them in memory. Every time here is epoch
 * milliseconds.
 */
import type { SigningKey } from "./signing-key.ts";

/** The time now, in epoch milliseconds. */
export type Clock = () => number;

/** What the edge tells of a client, as plain text ("" when unknown). */
export interface ClientFacts {
  /** A short label such as "Chrome on Linux". */
  readonly device: string;
  readonly ip: string;
}

/** A user as stored: the password hash, and the time before which their sessions are ended. */
export interface UserRecord {
  readonly username: string;
  readonly passwordHash: string;
  /** Sessions created at or before it are ended (logout everywhere, a password change). */
  readonly sessionsValidAfter: number;
  /** The random WebAuthn user handle of their passkeys, set at their first registration. */
  readonly webauthnUserId?: string;
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
  /**
   * The id the session is shown and ended by (GET /sessions, DELETE /sessions/{id}): random, and
   * not the sid, which a forgery with a leaked key would need. "" for a session recorded without one.
   */
  readonly handle: string;
  /** A short label of the client that signed in ("Chrome on Linux"), "" when unknown. */
  readonly device: string;
  /** The address the sign-in came from, "" when unknown. */
  readonly ip: string;
  /** The last sign-in or refresh; absent on items written before it was recorded (createdAt stands for it). */
  readonly lastActiveAt?: number;
  /** The session's newest token; absent on items written before tokens were recorded. */
  readonly token?: RecordedToken;
  /** The token the newest one replaced, and when: refreshed again within the grace, it gets `token`. */
  readonly superseded?: { readonly jti: string; readonly at: number };
}

/** What signs a token again byte for byte: its claims that vary, and the key that signed it. */
export interface RecordedToken {
  readonly jti: string;
  /** `iat` and `exp`, in epoch milliseconds of whole seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly kid: string;
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
  /** Creates a user, with sessionsValidAfter `at`, only if the name is free; false if it was taken. */
  addUser(username: string, passwordHash: string, at: number): Promise<boolean>;
  /**
   * Replaces a user's password hash and ends their sessions created at or before `at`, in one
   * write (never moving an earlier end back); false if no such user.
   */
  setPassword(username: string, passwordHash: string, at: number): Promise<boolean>;
  getSession(sid: string): Promise<SessionRecord | undefined>;
  /** Records a new session; never overwrites one. */
  putSession(record: SessionRecord): Promise<void>;
  /**
   * Records `next` as the newest token of session `sid` of `username`, superseding `presented`, and
   * sets lastActiveAt to `at`: one conditional write, applied only while `presented` is still the
   * newest token (or, with `presented.recorded` false, while none is recorded). False when another
   * refresh came first or the session is gone.
   */
  supersedeToken(
    sid: string,
    username: string,
    presented: { readonly jti: string; readonly recorded: boolean },
    next: RecordedToken,
    at: number,
  ): Promise<boolean>;
  /**
   * Deletes a session if it belongs to `username`, and returns what was deleted; another user's is
   * left alone (undefined).
   */
  deleteSession(sid: string, username: string): Promise<SessionRecord | undefined>;
  /**
   * Up to `limit` sessions of a user, in no particular order, ended or expired ones included (the
   * caller applies sessionEnded). May lag a write by a moment (an index read).
   */
  listUserSessions(username: string, limit: number): Promise<SessionRecord[]>;
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
 * Hashes new passwords and checks given ones against stored hashes (passwords.ts: scrypt, at the
 * shipped cost in the functions and the CLI).
 */
export interface PasswordHasher {
  /** A hash of `password`, with a fresh salt, to store. */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` is right for a stored hash. No hash (an unknown user) or an unusable one
   * costs the same work as a real one and answers false.
   */
  matches(password: string, hash: string | undefined): Promise<boolean>;
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

/** A registered passkey, by its credential id (base64url). */
export interface PasskeyRecord {
  readonly id: string;
  readonly username: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  readonly signCount: number;
  readonly transports: readonly string[];
  readonly name: string;
  readonly createdAt: number;
  /** Undefined until its first sign-in. */
  readonly lastUsedAt: number | undefined;
}

/** What a challenge was issued for. */
export type ChallengePurpose = "registration" | "authentication";

/** A challenge of a passkey ceremony, by its value (base64url). */
export interface ChallengeRecord {
  readonly challenge: string;
  readonly purpose: ChallengePurpose;
  /** For a registration: the user and the session that asked for it. */
  readonly username?: string;
  readonly sid?: string;
  /** Never trusted to have been deleted by then. */
  readonly expiresAt: number;
}

/**
 * Where passkeys and their challenges live. Every method rejects with AppError
 * `service_unavailable` when the store cannot answer.
 */
export interface PasskeyStore {
  getPasskey(id: string): Promise<PasskeyRecord | undefined>;
  listPasskeys(username: string): Promise<PasskeyRecord[]>;
  /** Records a new passkey; false if its credential id is registered already. */
  putPasskey(record: PasskeyRecord): Promise<boolean>;
  /** Records a sign-in with it, if its count is still `read`; false when it changed or is gone. */
  recordUse(record: PasskeyRecord, signCount: number, at: number): Promise<boolean>;
  /** Deletes a passkey of `username`; false if there is none by that id for that user. */
  deletePasskey(id: string, username: string): Promise<boolean>;
  /** The user's WebAuthn user handle, set to `candidate` if they had none; undefined if no such user. */
  userHandle(username: string, candidate: string): Promise<string | undefined>;
  putChallenge(record: ChallengeRecord): Promise<void>;
  /** Removes a challenge and returns it; undefined if it was never issued or already taken. */
  takeChallenge(challenge: string): Promise<ChallengeRecord | undefined>;
}

/** Who the passkeys belong to, as browsers check it: the RP ID, its name, the origins allowed. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly origins: readonly string[];
}

/** A credential that a verified registration response creates. */
export interface NewCredential {
  readonly id: string;
  readonly publicKey: string;
  readonly signCount: number;
  readonly transports: readonly string[];
}

/** What an authentication response says of itself, before anything in it is verified. */
export interface AssertionClaims {
  readonly credentialId: string;
  readonly challenge: string;
  readonly userHandle: string | undefined;
}

/**
 * The WebAuthn protocol (a library at the edge): options as browsers take them, and verification
 * of the browsers' responses. A response that fails verification gives undefined, never a throw.
 */
export interface WebAuthnVerifier {
  creationOptions(input: {
    readonly rp: RelyingParty;
    readonly userId: string;
    readonly username: string;
    readonly challenge: string;
    readonly exclude: readonly PasskeyRecord[];
  }): Promise<unknown>;
  requestOptions(input: { readonly rp: RelyingParty; readonly challenge: string }): Promise<unknown>;
  /** The challenge a registration response claims to answer; undefined when unreadable. */
  registrationChallenge(response: unknown): string | undefined;
  /** Undefined when unreadable. */
  assertionClaims(response: unknown): AssertionClaims | undefined;
  /** The new credential when the response answers `challenge` from one of rp's origins, for rp, with user verification. */
  verifyRegistration(response: unknown, rp: RelyingParty, challenge: string): Promise<NewCredential | undefined>;
  /**
   * The sign count the response carries when it is signed by `passkey`'s key, answers `challenge`
   * from one of rp's origins, for rp, with user verification. The count is not judged here.
   */
  verifyAssertion(
    response: unknown,
    rp: RelyingParty,
    challenge: string,
    passkey: PasskeyRecord,
  ): Promise<{ readonly signCount: number } | undefined>;
}
