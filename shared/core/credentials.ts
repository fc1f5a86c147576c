/** What a username may be: also what a token's `sub` must be. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Longest password accepted, in characters; longer ones are refused before any hashing. */
export const MAX_PASSWORD_LENGTH = 256;

/** A username and password as a client sent them, already checked for shape. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}
