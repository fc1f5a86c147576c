/**
 * The sign-in lockout, as pure functions of a username's failure record and the clock. A record
 * counts consecutive failed sign-ins; the attempt that reaches the limit sets the lock before its
 * password is checked, so concurrent guesses cannot slip past it, and a success removes the
 * record. Unknown usernames get records like known ones, so a lock says nothing about who exists.
 */
import type { Config } from "./config.ts";
import type { AttemptRecord } from "./ports.ts";

export type LockoutPolicy = Pick<Config, "signinMaxFailures" | "signinLockoutBaseSeconds" | "signinLockoutMaxSeconds">;

/** How long a record outlives its last attempt: a day of quiet resets the count. */
export const ATTEMPT_MEMORY_SECONDS = 86_400;

/** The lock, in seconds, that the `failures`-th consecutive failure sets: none below the limit, then doubling. */
export function lockoutSeconds(failures: number, policy: LockoutPolicy): number {
  if (failures < policy.signinMaxFailures) return 0;
  const doublings = Math.min(failures - policy.signinMaxFailures, 30);
  return Math.min(policy.signinLockoutBaseSeconds * 2 ** doublings, policy.signinLockoutMaxSeconds);
}

/** Whether an attempt may check a password, and the record to store first if it may. */
export type Admission =
  | { readonly admitted: true; readonly next: AttemptRecord }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

/**
 * Decides on a sign-in attempt at `now` given the stored record (undefined when there is none).
 * An admitted attempt is counted as a failure in advance: the caller stores `next` before
 * checking the password and removes the record if the password is right.
 */
export function admitAttempt(stored: AttemptRecord | undefined, now: number, policy: LockoutPolicy): Admission {
  const live = stored !== undefined && stored.expiresAt > now ? stored : undefined;
  if (live !== undefined && live.lockedUntil > now) {
    return { admitted: false, retryAfterSeconds: Math.ceil((live.lockedUntil - now) / 1000) };
  }
  const failures = (live?.failures ?? 0) + 1;
  const lockMs = lockoutSeconds(failures, policy) * 1000;
  // Counted from the whole second, as the record is stored, so Retry-After never exceeds the lock.
  const second = Math.floor(now / 1000) * 1000;
  return {
    admitted: true,
    next: {
      failures,
      lockedUntil: lockMs > 0 ? second + lockMs : 0,
      expiresAt: second + lockMs + ATTEMPT_MEMORY_SECONDS * 1000,
    },
  };
}
