/**
 * What the in-process handler tests check besides the answer itself: the log lines the handlers
 * write, and the one 503 every store fault must give. Apart from in-process.ts, which the bench
 * also imports and so must not import Vitest.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { expect, vi } from "vitest";

/**
 * Keeps the log records the code writes through console (shared/core/log.ts), one JSON line each,
 * until vi.restoreAllMocks(); returns the lines.
 */
export function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["info", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      lines.push(`${String(line)}\n`);
    });
  }
  return lines;
}

/** Asserts a handler's answer is the generic 503 a store fault gives: retry hint, no cookie. */
export function expectUnavailable(result: APIGatewayProxyStructuredResultV2): void {
  expect(result.statusCode).toBe(503);
  expect(result.headers).toMatchObject({ "Retry-After": "5", "Cache-Control": "no-store" });
  expect(JSON.parse(String(result.body))).toEqual({
    error: "service_unavailable",
    message: "The service is temporarily unavailable. Try again shortly.",
  });
  expect(result.cookies).toBeUndefined();
}
