/**
 * Structured logging: one JSON object per line on stdout, which CloudWatch Logs Insights reads
 * field by field. Callers pass only fields that are safe to keep: never a token, a password, a
 * key, a cookie header or a request body.
 */
export type LogLevel = "info" | "warn" | "error";

/** Writes one log line. */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, message, ...fields })}\n`);
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
