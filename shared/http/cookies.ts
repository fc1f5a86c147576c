import { AppError } from "../core/errors.ts";

/** Default name of the session cookie, as in the tutorial (SESSION_COOKIE_NAME changes it). */
const TOKEN_COOKIE = "token";

/** No JWT of ours comes near this; anything longer is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

// The one place the cookie's attributes are written, so the cookie set at sign-in and the one
// cleared at logout cannot drift apart. Secure is kept locally too: browsers and curl treat
// http://localhost as a secure origin.
const ATTRIBUTES = "Path=/; HttpOnly; Secure; SameSite=Strict";

/** The Set-Cookie value that stores a session token for maxAgeSeconds. */
export function sessionCookie(token: string, maxAgeSeconds: number, name = TOKEN_COOKIE): string {
  return `${name}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; ${ATTRIBUTES}`;
}

/** The Set-Cookie value that deletes the session cookie. */
export function clearedSessionCookie(name = TOKEN_COOKIE): string {
  return `${name}=; Max-Age=0; ${ATTRIBUTES}`;
}

/**
 * Finds the session token among the request's cookies (the one named `name`). HTTP API payload 2.0 delivers them in
 * `event.cookies`, one `name=value` per element; the Cookie header is not read, because AWS
 * does not send it to the function.
 * Throws AppError: missing_token when there is none, ambiguous_token when there are
 * several (one may have been planted for a sibling path or domain), invalid_token when it is
 * too long to be ours.
 */
export function readSessionToken(cookies: readonly unknown[] | undefined, name = TOKEN_COOKIE): string {
  const found = sessionCookieValues(cookies, name);
  const [token] = found;
  if (token === undefined) throw new AppError("missing_token");
  if (found.length > 1) {
    throw new AppError("ambiguous_token");
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AppError("invalid_token");
  }
  return token;
}

/**
 * Every value of the cookies named `name` that could be one of our tokens, in order: what logout
 * ends when more than one was sent (readSessionToken refuses to choose). Throws nothing.
 */
export function logoutTokens(cookies: readonly unknown[] | undefined, name = TOKEN_COOKIE): string[] {
  return sessionCookieValues(cookies, name).filter((token) => token.length <= MAX_TOKEN_LENGTH);
}

/** Every non-empty value of the cookies named `name`, in order. Throws nothing. */
function sessionCookieValues(cookies: readonly unknown[] | undefined, name = TOKEN_COOKIE): string[] {
  const found: string[] = [];
  for (const cookie of Array.isArray(cookies) ? cookies : []) {
    if (typeof cookie !== "string") continue;
    const eq = cookie.indexOf("=");
    if (eq < 0 || cookie.slice(0, eq).trim() !== name) continue;
    const value = cookie.slice(eq + 1).trim();
    if (value !== "") found.push(value); // an empty one is what a cleared cookie leaves in some clients
  }
  return found;
}
