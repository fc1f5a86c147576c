/**
 * The one error table of the service: every code a client may see, with its HTTP status and its
 * message, written once. The HTTP edge (shared/http/handler.ts) turns an AppError into
 * `{"error": code, "message": ...}`; anything else is a bug or an outage, logged and answered
 * with a generic 500.
 */
const ERRORS = {
  invalid_request: { status: 400, message: "The request is not valid." },
  invalid_json: { status: 400, message: "The body must be a JSON object." },
  refresh_too_early: { status: 400, message: "The token cannot be refreshed yet." },
  weak_password: { status: 400, message: "The new password is not allowed." },
  invalid_credentials: { status: 401, message: "Wrong username or password." },
  missing_token: { status: 401, message: "Sign in first: no session cookie." },
  invalid_token: { status: 401, message: "The session token is not valid. Sign in again." },
  ambiguous_token: { status: 401, message: "More than one session cookie was sent. Sign in again." },
  token_expired: { status: 401, message: "The session token has expired. Sign in again." },
  session_expired: { status: 401, message: "The session has ended. Sign in again." },
  session_revoked: { status: 401, message: "The session was ended. Sign in again." },
  signup_closed: { status: 403, message: "Sign-up is closed on this service." },
  cross_site_request: { status: 403, message: "This request came from another site's page and was refused." },
  session_not_found: { status: 404, message: "No such session is signed in." },
  username_taken: { status: 409, message: "This username is taken." },
  invalid_passkey: { status: 401, message: "The passkey was not accepted." },
  reauthentication_required: { status: 401, message: "Sign in again, or send your password, to change passkeys." },
  passkey_not_found: { status: 404, message: "No such passkey." },
  payload_too_large: { status: 413, message: "The body is too large." },
  unsupported_media_type: { status: 415, message: "Send the body as application/json." },
  too_many_attempts: { status: 429, message: "Too many failed sign-ins for this username. Try again later." },
  service_unavailable: { status: 503, message: "The service is temporarily unavailable. Try again shortly." },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

/** A stable error code, as clients see it in `error`. */
export type ErrorCode = keyof typeof ERRORS;

export interface AppErrorOptions {
  /** Replaces the table's message with a more precise one (which field, how many seconds). */
  readonly detail?: string;
  readonly cause?: unknown;
  /** For 429 and 503: when to try again, sent as Retry-After. */
  readonly retryAfterSeconds?: number;
}

/** An error a client is told about: its code fixes the status and the message. */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? ERRORS[code].message, { cause: options.cause });
    this.status = ERRORS[code].status;
    this.retryAfterSeconds =
      options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}

/** 503 `service_unavailable`: a dependency (the secret store, a table) cannot be used right now. */
export function unavailable(cause: unknown, retryAfterSeconds = 5): AppError {
  return new AppError("service_unavailable", { cause, retryAfterSeconds });
}

/** Thrown at start-up for a setting that is present but unusable; names the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Thrown by a secret parser for a value it refuses; the message must not quote the value. */
export class UnusableSecretError extends Error {
  override readonly name = "UnusableSecretError";
}

/**
 * A rotation step that must not go on: a malformed event, rotation not enabled, a version that
 * is not pending, or a pending value that is not a usable key. Messages never quote a value.
 */
export class RotationError extends Error {
  override readonly name = "RotationError";
}
