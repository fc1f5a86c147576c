/**
 * The one error taxonomy of the service. Every error a client may see is an HttpError with a
 * stable `code`; shared/http.ts turns it into a response. Anything else is a bug or an outage:
 * it is logged and answered with a generic 500.
 */
export type ErrorCode =
  | "invalid_request"
  | "invalid_json"
  | "invalid_credentials"
  | "missing_token"
  | "invalid_token"
  | "ambiguous_token"
  | "token_expired"
  | "session_expired"
  | "session_revoked"
  | "too_many_attempts"
  | "refresh_too_early"
  | "payload_too_large"
  | "unsupported_media_type"
  | "cross_site_request"
  | "service_unavailable";

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  /** Extra response headers the error calls for (Retry-After). */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed, or asks for something not allowed yet (refresh_too_early). */
export class BadRequestError extends HttpError {
  readonly statusCode = 400;
}

/** 401: no usable credentials or session. */
export class UnauthorizedError extends HttpError {
  readonly statusCode = 401;
}

/** 403: the request comes from another site's page (cross_site_request). */
export class ForbiddenError extends HttpError {
  readonly statusCode = 403;
}

/** 413: the body is larger than any valid request. */
export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
}

/** 415: the body is not JSON (blocks login CSRF through HTML forms). */
export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
}

/** 429: too many failed sign-ins for one username; Retry-After says when to try again. */
export class TooManyRequestsError extends HttpError {
  readonly statusCode = 429;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, retryAfterSeconds: number) {
    super("too_many_attempts", message);
    this.headers = { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/**
 * 503: a dependency (the secret store, a table) cannot be used right now. The message is generic; the
 * cause is logged, never sent.
 */
export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super("service_unavailable", message, options);
    this.headers = { "Retry-After": String(options.retryAfterSeconds ?? 5) };
  }
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
