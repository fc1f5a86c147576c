import { BadRequestError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from "./errors.ts";
import { requestHeader } from "./headers.ts";
import type { HttpEvent } from "./http.ts";

/** What a username may be: also what a token's `sub` must be. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Longest password accepted, in characters; longer ones are refused before any hashing. */
export const MAX_PASSWORD_LENGTH = 256;

/** A sign-in body is two short strings; anything larger is refused unread. */
const MAX_BODY_BYTES = 4096;

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads `{"username","password"}` from a sign-in request. Throws UnsupportedMediaTypeError
 * unless the body is declared `application/json` (HTML forms and text/plain posts, which
 * browsers send cross-site without a preflight, cannot sign anyone in), PayloadTooLargeError
 * above MAX_BODY_BYTES, BadRequestError for a body that is not a JSON object of two strings,
 * and UnauthorizedError `invalid_credentials` for strings no account can have.
 */
export function parseCredentials(event: HttpEvent): Credentials {
  const contentType = requestHeader(event, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    throw new UnsupportedMediaTypeError("unsupported_media_type", "Send the credentials as application/json.");
  }
  const raw = typeof event.body === "string" ? event.body : "";
  const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError("payload_too_large", `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new BadRequestError("invalid_json", "The body must be a JSON object.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequestError("invalid_json", "The body must be a JSON object.");
  }
  const { username, password } = body as Record<string, unknown>;
  if (typeof username !== "string" || typeof password !== "string") {
    throw new BadRequestError("invalid_request", '"username" and "password" must both be strings.');
  }
  if (!USERNAME_PATTERN.test(username) || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new UnauthorizedError("invalid_credentials", "Wrong username or password.");
  }
  if (password.includes("\u0000")) {
    throw new BadRequestError("invalid_request", "The password must not contain NUL characters.");
  }
  return { username, password };
}
