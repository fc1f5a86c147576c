/**
 * Structured logging through `console`, one record per call. In Lambda with the JSON log format
 * (AWS_LAMBDA_LOG_FORMAT=JSON) the record is passed as an object, and Lambda adds the time, the
 * level and the request id and filters by the function's application log level; elsewhere
 * (npm start, tests) it is one JSON line. Callers pass only fields that are safe to keep: never a
 * token, a password, a hash, a key, a sid, a cookie header or a request body.
 */
export type LogLevel = "info" | "warn" | "error";

const structured = process.env.AWS_LAMBDA_LOG_FORMAT === "JSON";

/** Writes one log record. */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const record = { message, ...fields };
  // console[level] is looked up on each call, so a test that spies on it sees every record.
  console[level](structured ? record : JSON.stringify({ level, ...record }));
}

/** What may be logged of an unexpected error: its class, code, message, stack and causes. */
export function describeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: typeof err };
  const code = (err as { code?: unknown }).code ?? (err as { name?: unknown }).name;
  return {
    name: err.name,
    code: typeof code === "string" ? code : undefined,
    message: err.message,
    stack: err.stack,
    cause: err.cause !== undefined && depth < 3 ? describeError(err.cause, depth + 1) : undefined,
  };
}
