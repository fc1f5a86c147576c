/** The one place errors become responses: client errors say their code, anything else says nothing. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError, unavailable } from "../shared/core/errors.ts";
import { httpHandler, sessionIssued, text } from "../shared/http/handler.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent } from "./support/in-process.ts";

let lines: string[];

beforeEach(() => {
  lines = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const event = httpApiEvent({
  rawPath: "/x",
  requestContext: { requestId: "req-42", http: { method: "GET", path: "/x" } } as never,
});
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("httpHandler", () => {
  it("answers an unexpected error with a generic 500 that carries only the request id, and logs the cause", async () => {
    const handler = httpHandler("x", async () => {
      throw new TypeError("cannot read secret at /var/task/functions/x.mjs:1:2 (jose internals)");
    });
    const result = await handler(event);

    expect(result).toEqual({
      statusCode: 500,
      headers: {
        "Cache-Control": "no-store",
        Pragma: "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Type": "application/json; charset=utf-8",
      },
      body: JSON.stringify({ error: "internal_error", message: "An unexpected error occurred.", requestId: "req-42" }),
    });
    const [line] = logged();
    expect(line).toMatchObject({
      level: "error",
      route: "x",
      status: 500,
      error: "internal_error",
      requestId: "req-42",
    });
    expect(line?.cause).toMatchObject({ name: "TypeError", message: expect.stringContaining("cannot read secret") });
  });

  it("answers a client error with its status, code and message, and logs its code without a cause", async () => {
    const handler = httpHandler("x", async () => {
      throw new AppError("invalid_request", { detail: "Say it in JSON." });
    });
    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body))).toEqual({ error: "invalid_request", message: "Say it in JSON." });
    expect(logged()[0]).toMatchObject({ level: "info", status: 400, error: "invalid_request" });
    expect(logged()[0]?.cause).toBeUndefined();
  });

  it("answers 503 with Retry-After, the generic message, and the cause only in the log", async () => {
    const handler = httpHandler("x", async () => {
      throw unavailable(new Error("AccessDeniedException: arn:aws:iam::123:role/x is not authorized"));
    });
    const result = await handler(event);

    expect(result.statusCode).toBe(503);
    expect(result.headers?.["Retry-After"]).toBe("5");
    expect(String(result.body)).not.toContain("arn:aws");
    expect(JSON.stringify(logged()[0]?.cause)).toContain("AccessDeniedException");
  });

  it("logs the user a handler names, once per request", async () => {
    const handler = httpHandler("x", async (_event, facts) => {
      facts.user = "user1";
      return text(200, "ok");
    });
    await handler(event);
    expect(logged()).toEqual([expect.objectContaining({ status: 200, user: "user1", durationMs: expect.any(Number) })]);
  });

  it("logs the client's source IP as API Gateway reports it", async () => {
    const handler = httpHandler("x", async () => text(200, "ok"));
    const fromClient = httpApiEvent({
      requestContext: { requestId: "req-43", http: { method: "GET", path: "/x", sourceIp: "203.0.113.7" } } as never,
    });

    await handler(fromClient);

    expect(logged()).toEqual([expect.objectContaining({ requestId: "req-43", sourceIp: "203.0.113.7" })]);
  });

  it("survives an event with no request context at all", async () => {
    const handler = httpHandler("x", async () => text(200, "ok"));
    const result = await handler({} as never);
    expect(result.statusCode).toBe(200);
    expect(logged()[0]).toMatchObject({ requestId: "unknown" });
  });
});

describe("sessionIssued", () => {
  const issued = {
    token: "a.b.c",
    user: "user1",
    jti: "jti-1",
    kid: "kid-1",
    issuedAt: 1_000_000_000,
    expiresAt: 1_000_300_000,
  };
  const config = { refreshWindowSeconds: 30, sessionCookieName: "__Host-token" };

  it("tells when the token expires and when its refresh window opens, relative to the answer", () => {
    const result = sessionIssued(issued, config);
    expect(JSON.parse(String(result.body))).toEqual({
      username: "user1",
      expiresAt: 1_000_300,
      expiresAtIso: new Date(1_000_300_000).toISOString(),
      expiresInSeconds: 300,
      refreshInSeconds: 270,
    });
    expect(result.cookies).toEqual(["__Host-token=a.b.c; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Strict"]);
  });

  it("says the window is open now when the token is cut short by the session's end", () => {
    const result = sessionIssued({ ...issued, expiresAt: 1_000_012_000 }, config);
    expect(JSON.parse(String(result.body))).toMatchObject({ expiresInSeconds: 12, refreshInSeconds: 0 });
  });
});
