/**
 * The account use cases: change a password, sign up. Both choose a password, so both apply the
 * password policy; both end in a new session (session.ts startSession), so the device that acted
 * stays signed in. Every time is epoch milliseconds from `deps.clock`.
 */

import { audit } from "./audit.ts";
import type { Config } from "./config.ts";
import { type Credentials, USERNAME_PATTERN } from "./credentials.ts";
import { AppError } from "./errors.ts";
import { assertPasswordAllowed, type PasswordPolicy } from "./password-policy.ts";
import type { ClientFacts } from "./ports.ts";
import { authenticate, liveSession, type SessionDeps, type SessionPolicy, startSession } from "./session.ts";
import type { IssuedToken } from "./token.ts";

/** What the account use cases need: the session use cases' dependencies, and the policy's settings. */
export interface AccountDeps extends SessionDeps {
  readonly policy: SessionPolicy & PasswordPolicy & Pick<Config, "signup">;
}

/** A password change as the signed-in user asked for it. */
export interface PasswordChange {
  readonly currentPassword: string;
  readonly newPassword: string;
}

/**
 * Changes the password of the user whose live session `token` is, then ends every session of
 * theirs and starts a new one for the caller. A wrong current password is a failed sign-in: it
 * counts toward the username's lockout, counted before it is checked. Throws what liveSession
 * throws; AppError `weak_password` (before any password work), `too_many_attempts`,
 * `invalid_credentials`, `session_revoked` (the user was removed meanwhile) and
 * `service_unavailable`.
 */
export async function changePassword(
  deps: AccountDeps,
  token: string,
  change: PasswordChange,
  client: ClientFacts,
): Promise<IssuedToken> {
  const now = deps.clock();
  const { user: username } = await liveSession(deps, token, now);
  assertPasswordAllowed(change.newPassword, username, deps.policy);
  const { user, takeBack } = await authenticate(deps, { username, password: change.currentPassword }, now, client);
  // A right password whose counter cannot be cleared is not held against the user.
  const cleared = deps.store.deleteAttempts(username).catch(async (err: unknown) => {
    await takeBack();
    throw err;
  });
  const [, hash] = await Promise.all([cleared, deps.passwords.hash(change.newPassword)]);
  // Ends every session created up to now, this one included: a thief holding a session cookie
  // does not keep it past the owner's password change.
  const endedUpTo = Math.max(now, user.sessionsValidAfter);
  if (!(await deps.store.setPassword(username, hash, now))) throw new AppError("session_revoked");
  // Created after that end, so the caller's new session outlives it.
  const started = await startSession(
    deps,
    { ...user, passwordHash: hash, sessionsValidAfter: endedUpTo },
    client,
    endedUpTo + 1,
  );
  audit(
    "password_changed",
    { user: username, session: started.handle, outcome: "success", reason: "self_service" },
    client,
  );
  return started;
}

/** Throws AppError `signup_closed` unless SIGNUP=open: before the request is even read. */
export function assertSignupOpen(policy: Pick<Config, "signup">): void {
  if (policy.signup !== "open") throw new AppError("signup_closed");
}

/**
 * Creates an account when SIGNUP=open and starts its first session. Throws AppError
 * `signup_closed` (creating nothing) when it is not, `invalid_request` for a username sign-in
 * could never accept, `weak_password`, `username_taken`, and `service_unavailable`.
 */
export async function signUp(deps: AccountDeps, credentials: Credentials, client: ClientFacts): Promise<IssuedToken> {
  assertSignupOpen(deps.policy);
  const { username, password } = credentials;
  if (!USERNAME_PATTERN.test(username)) {
    throw new AppError("invalid_request", {
      detail: "A username is 1-64 letters, digits or . _ @ - and starts with a letter or digit.",
    });
  }
  assertPasswordAllowed(password, username, deps.policy);
  const now = deps.clock();
  // The key first: an outage of the secret store creates no account that could not sign in now.
  await deps.keys.current();
  const passwordHash = await deps.passwords.hash(password);
  if (!(await deps.store.addUser(username, passwordHash, now))) throw new AppError("username_taken");
  // The new user's sessions are valid after `now` (a removed user's old sessions stay ended).
  const started = await startSession(deps, { username, passwordHash, sessionsValidAfter: now }, client, now + 1);
  audit("signed_up", { user: username, session: started.handle, outcome: "success", reason: "open_signup" }, client);
  return started;
}
