/**
 * What a new password must be, after NIST SP 800-63B rev. 4: long enough, not too long, and not
 * on a blocklist (the most common passwords, the username, the service's name), with no
 * composition rules. Applied where a password is chosen (sign-up, a password change, the users
 * CLI), never at sign-in: a password set before the policy still signs in.
 */
import { COMMON_PASSWORDS } from "./common-passwords.ts";
import { type Config, SERVICE_NAME } from "./config.ts";
import { MAX_PASSWORD_LENGTH } from "./credentials.ts";
import { AppError } from "./errors.ts";

export type PasswordPolicy = Pick<Config, "passwordMinLength" | "stage">;

let common: ReadonlySet<string> | undefined;

// Built at the first check, not at load: a cold start that never sets a password never pays for it.
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(COMMON_PASSWORDS.split("\n").map((word) => word.toLowerCase()));
  return common;
}

/** Case, spaces and punctuation folded away, so `Serverless JWT Auth` is the service's name. */
const fold = (text: string): string =>
  text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, "");

/**
 * Why `password` may not be chosen by `username`, in a sentence a person can act on, or undefined
 * when it may. Length counts characters (code points), as NIST asks; the upper bound is sign-in's,
 * so every allowed password can sign in.
 */
export function passwordRefusal(password: string, username: string, policy: PasswordPolicy): string | undefined {
  const characters = [...password.normalize("NFC")].length;
  if (characters < policy.passwordMinLength) {
    return `The password must be at least ${policy.passwordMinLength} characters long; a few words make a good one.`;
  }
  if (password.length > MAX_PASSWORD_LENGTH)
    return `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  if (password.includes("\u0000")) return "The password must not contain NUL characters.";
  const folded = fold(password);
  if (folded === fold(username)) return "The password must not be the username.";
  if (folded === fold(SERVICE_NAME) || folded === fold(`${SERVICE_NAME}-${policy.stage}`)) {
    return "The password must not be the name of this service.";
  }
  if (commonPasswords().has(password.toLowerCase())) {
    return "This password is one of the most common passwords; choose another.";
  }
  return undefined;
}

/** Throws AppError `weak_password`, saying why, when `password` may not be chosen by `username`. */
export function assertPasswordAllowed(password: string, username: string, policy: PasswordPolicy): void {
  const refusal = passwordRefusal(password, username, policy);
  if (refusal !== undefined) throw new AppError("weak_password", { detail: refusal });
}
