/** Reading request bodies: JSON only, bounded in size, refused unread when too large. */
import type { PasswordChange } from "../core/account.ts";
import { type Credentials, MAX_PASSWORD_LENGTH, USERNAME_PATTERN } from "../core/credentials.ts";
import { AppError } from "../core/errors.ts";
import { type HttpEvent, requestHeader } from "./event.ts";

/** A sign-in body is two short strings; anything larger is refused unread. */
const MAX_BODY_BYTES = 4096;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The request's body as a JSON object. Throws AppError `unsupported_media_type` unless the body
 * is declared `application/json` (HTML forms and text/plain posts, which browsers send
 * cross-site without a preflight, cannot reach a handler), `payload_too_large` above
 * `maxBytes` (MAX_BODY_BYTES unless given), and `invalid_json` for a body that is not a JSON object.
 */
export function jsonBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
  const contentType = requestHeader(event, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") throw new AppError("unsupported_media_type");
  const raw = typeof event.body === "string" ? event.body : "";
  const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > maxBytes) {
    throw new AppError("payload_too_large", { detail: `The body must be at most ${maxBytes} bytes.` });
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new AppError("invalid_json");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AppError("invalid_json");
  return body as Record<string, unknown>;
}

/**
 * Reads `{"username","password"}` from a sign-in request. Throws what jsonBody throws, AppError
 * `invalid_request` unless both are strings (or a password holds NUL), and `invalid_credentials`
 * for strings no account can have.
 */
export function parseCredentials(event: HttpEvent): Credentials {
  const { username, password } = jsonBody(event);
  if (typeof username !== "string" || typeof password !== "string") {
    throw new AppError("invalid_request", { detail: '"username" and "password" must both be strings.' });
  }
  if (!USERNAME_PATTERN.test(username) || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError("invalid_credentials");
  }
  if (password.includes("\u0000")) {
    throw new AppError("invalid_request", { detail: "The password must not contain NUL characters." });
  }
  return { username, password };
}

/**
 * Reads `{"username","password"}` from a sign-up request, leaving the rules on both to the core
 * (signUp). Throws what jsonBody throws, and AppError `invalid_request` unless both are strings.
 */
export function parseNewAccount(event: HttpEvent): Credentials {
  const { username, password } = jsonBody(event);
  if (typeof username !== "string" || typeof password !== "string") {
    throw new AppError("invalid_request", { detail: '"username" and "password" must both be strings.' });
  }
  return { username, password };
}

/**
 * Reads `{"currentPassword","newPassword"}` from a password change. Throws what jsonBody throws,
 * AppError `invalid_request` unless both are strings, and `invalid_credentials` for a current
 * password no account can have (as sign-in does, before any lockout count).
 */
export function parsePasswordChange(event: HttpEvent): PasswordChange {
  const { currentPassword, newPassword } = jsonBody(event);
  if (typeof currentPassword !== "string" || typeof newPassword !== "string") {
    throw new AppError("invalid_request", { detail: '"currentPassword" and "newPassword" must both be strings.' });
  }
  if (currentPassword.length === 0 || currentPassword.length > MAX_PASSWORD_LENGTH) {
    throw new AppError("invalid_credentials");
  }
  return { currentPassword, newPassword };
}

/** A passkey response (attestation "none") is a few hundred bytes; a large RSA key fits too. */
const MAX_PASSKEY_BODY_BYTES = 16_384;
const PASSKEY_NAME = /^[^\u0000-\u001f\u007f]{1,64}$/;

/**
 * The JSON body of a passkey route, or `{}` when a DELETE has none. Throws what jsonBody throws
 * (with a 16 KiB limit).
 */
export function passkeyBody(event: HttpEvent): Record<string, unknown> {
  const empty = event.body === undefined || event.body === null || event.body === "";
  return empty && event.requestContext?.http?.method === "DELETE" ? {} : jsonBody(event, MAX_PASSKEY_BODY_BYTES);
}

/** The optional `password` of a passkey change. Throws AppError `invalid_request` unless absent or a string. */
export function optionalPassword(body: Record<string, unknown>): string | undefined {
  const { password } = body;
  if (password === undefined) return undefined;
  if (typeof password !== "string" || password.includes("\u0000")) {
    throw new AppError("invalid_request", { detail: '"password" must be a string.' });
  }
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) throw new AppError("invalid_credentials");
  return password;
}

/** The optional `name` of a new passkey, trimmed. Throws AppError `invalid_request` unless 1-64 printable characters. */
export function optionalPasskeyName(body: Record<string, unknown>): string | undefined {
  const name = typeof body.name === "string" ? body.name.trim() : body.name;
  if (name === undefined) return undefined;
  if (typeof name !== "string" || !PASSKEY_NAME.test(name)) {
    throw new AppError("invalid_request", { detail: '"name" must be 1 to 64 printable characters.' });
  }
  return name;
}
