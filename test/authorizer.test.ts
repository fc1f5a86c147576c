/**
 * The session authorizer and its contract with the routes behind it: which cookies it reads on
 * AWS and under serverless-offline, what it passes on, how errors become a refusal or an error,
 * and the real authorizer handler judging tokens exactly as /welcome does.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import jsonwebtoken from "jsonwebtoken";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AppError, unavailable } from "../shared/core/errors.ts";
import {
  type AuthorizerEvent,
  authorizerCookies,
  authorizerHandler,
  sessionContext,
  sessionFromAuthorizer,
} from "../shared/http/authorizer.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { authorizerEvent, httpApiEvent, loadContainer } from "./support/in-process.ts";
import { devKey, mintToken, nowSeconds } from "./support/tokens.ts";

let lines: string[];
let container: Awaited<ReturnType<typeof loadContainer>>;
let authorize: (event: AuthorizerEvent) => Promise<unknown>;

// No cache, no stale window and no pause after a failed read: the key-outage test leaves nothing
// behind that could refuse the next test's session, whatever the order.
beforeAll(async () => {
  container = await loadContainer({ SECRET_CACHE_SECONDS: "0", SECRET_STALE_SECONDS: "0", SECRET_RETRY_MS: "0" });
  authorize = (await import("../functions/authorize.ts")).handler;
});

afterAll(async () => {
  await container?.secrets.stop();
  await container?.dynamodb.stop();
});

function captureLog() {
  lines = captureLogs();
}

afterEach(() => {
  vi.restoreAllMocks();
  container.secrets.setFault({ kind: "none" });
});

const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/** The event serverless-offline sends: no `cookies`, the Cookie header among the headers. */
function offlineEvent(cookieHeader: string): AuthorizerEvent {
  const { cookies: _none, ...event } = authorizerEvent();
  return { ...event, headers: { Cookie: cookieHeader } };
}

describe("authorizerCookies", () => {
  it("reads the cookies array of an AWS event, which has no Cookie header", () => {
    expect(authorizerCookies(authorizerEvent({ cookies: ["a=1", "token=abc"] }))).toEqual(["a=1", "token=abc"]);
  });

  it("splits the Cookie header of a serverless-offline event, whatever the header's case", () => {
    expect(authorizerCookies(offlineEvent("a=1;  token=abc ;b=2"))).toEqual(["a=1", "token=abc", "b=2"]);
    const lower = { ...offlineEvent(""), headers: { cookie: "token=xyz" } };
    expect(authorizerCookies(lower)).toEqual(["token=xyz"]);
  });

  it("ignores the Cookie header when the event has a cookies array", () => {
    const event = authorizerEvent({ cookies: ["a=1"], headers: { cookie: "token=from-header" } });
    expect(authorizerCookies(event)).toEqual(["a=1"]);
  });

  it("finds no cookies in an event that has neither", () => {
    const { cookies: _none, ...event } = authorizerEvent();
    expect(authorizerCookies(event)).toEqual([]);
  });
});

describe("sessionContext and sessionFromAuthorizer", () => {
  const withContext = (lambda: unknown) =>
    httpApiEvent({ rawPath: "/me", requestContext: { authorizer: { lambda } } as never });

  it("passes the username, sign-in time and expiry of a session, not its issue time", () => {
    expect(
      sessionContext({
        user: "user1",
        sid: "session-1",
        jti: "jti-1",
        issuedAt: 1_700_000_100_000,
        expiresAt: 1_700_000_400_000,
        authTime: 1_700_000_000_000,
      }),
    ).toEqual({ username: "user1", authTime: 1_700_000_000, expiresAt: 1_700_000_400, sid: "session-1" });
  });

  it("reads back what the authorizer passed, with numbers or strings of digits", () => {
    const context = { username: "user1", authTime: 1_700_000_000, expiresAt: 1_700_000_400, sid: "session-1" };
    expect(sessionFromAuthorizer(withContext(context))).toEqual(context);
    expect(
      sessionFromAuthorizer(
        withContext({ username: "user1", authTime: "1700000000", expiresAt: "1700000400", sid: "session-1" }),
      ),
    ).toEqual(context);
  });

  it("throws when the route has no authorizer context, so an unguarded route serves no one", () => {
    expect(() => sessionFromAuthorizer(httpApiEvent({ rawPath: "/me" }))).toThrow(/attach the session authorizer/);
    for (const lambda of [
      null,
      {},
      { username: "", authTime: 1, expiresAt: 2 },
      { username: "user1", authTime: "soon", expiresAt: 2 },
      { username: "user1", authTime: 1, expiresAt: -2 },
      { username: ["user1"], authTime: 1, expiresAt: 2 },
    ]) {
      expect(() => sessionFromAuthorizer(withContext(lambda))).toThrow(/attach the session authorizer/);
    }
  });
});

describe("authorizerHandler", () => {
  const event = authorizerEvent({ cookies: ["token=the-secret-cookie"] });

  it("allows with the context the session gives, and logs the user and never the cookie", async () => {
    captureLog();
    const handler = authorizerHandler(async (_event, facts) => {
      facts.user = "user1";
      return { username: "user1", authTime: 1, expiresAt: 2, sid: "session-1" };
    });

    expect(await handler(event)).toEqual({
      isAuthorized: true,
      context: { username: "user1", authTime: 1, expiresAt: 2, sid: "session-1" },
    });
    expect(logged()).toEqual([
      {
        level: "info",
        message: "authorize",
        routeKey: "GET /me",
        requestId: "req-1",
        outcome: "allow",
        user: "user1",
        durationMs: expect.any(Number),
      },
    ]);
    expect(lines.join("")).not.toContain("the-secret-cookie");
  });

  it("refuses a client error with isAuthorized false and no reason, and logs its code", async () => {
    captureLog();
    const handler = authorizerHandler(async () => {
      throw new AppError("token_expired");
    });

    expect(await handler(event)).toEqual({ isAuthorized: false });
    expect(logged()).toEqual([expect.objectContaining({ level: "info", outcome: "deny", error: "token_expired" })]);
  });

  it("throws on a store outage rather than allowing or caching a refusal, and logs the cause", async () => {
    captureLog();
    const handler = authorizerHandler(async () => {
      throw unavailable(new Error("ThrottlingException from the store"));
    });

    await expect(handler(event)).rejects.toThrow("the session could not be checked; see the authorize log line");
    const [line] = logged();
    expect(line).toMatchObject({ level: "error", outcome: "error", error: "service_unavailable" });
    expect(line?.cause).toMatchObject({ message: "ThrottlingException from the store" });
    expect(lines.join("")).not.toContain("the-secret-cookie");
  });

  it("throws a generic error for a bug, whose message stays in the log", async () => {
    captureLog();
    const handler = authorizerHandler(async () => {
      throw new TypeError("internal detail at /var/task/functions/authorize.mjs:1:2");
    });

    const thrown = await handler(event).catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).not.toContain("internal detail");
    expect(logged()[0]).toMatchObject({ outcome: "error", error: "internal_error", cause: { name: "TypeError" } });
  });
});

describe("the authorize function", () => {
  const withToken = (token: string) => authorizerEvent({ cookies: [`token=${token}`] });

  it("allows a valid session cookie sent as AWS sends it, passing the user on", async () => {
    captureLog();
    const now = nowSeconds();
    const sid = "a-session-id-of-22-char";
    const token = await mintToken(devKey(container.secrets), { now: now - 10, claims: { auth_time: now - 100, sid } });

    expect(await authorize(withToken(token))).toEqual({
      isAuthorized: true,
      context: { username: "user1", authTime: now - 100, expiresAt: now + 290, sid },
    });
  });

  it("refuses a request whose cookies hold no session token, even with a token in a Cookie header", async () => {
    captureLog();
    const token = await mintToken(devKey(container.secrets));
    const event = authorizerEvent({ cookies: ["theme=dark"], headers: { cookie: `token=${token}` } });

    expect(await authorize(event)).toEqual({ isAuthorized: false });
    expect(logged()).toEqual([expect.objectContaining({ outcome: "deny", error: "missing_token" })]);
  });

  it("refuses two session cookies rather than guess which one is genuine", async () => {
    captureLog();
    const key = devKey(container.secrets);
    const event = authorizerEvent({ cookies: [`token=${await mintToken(key)}`, `token=${await mintToken(key)}`] });

    expect(await authorize(event)).toEqual({ isAuthorized: false });
    expect(logged()).toEqual([expect.objectContaining({ outcome: "deny", error: "ambiguous_token" })]);
  });

  it("agrees with /welcome on every token: allows what it accepts, refuses what it refuses", async () => {
    captureLog();
    const key = devKey(container.secrets);
    const now = nowSeconds();
    const valid = await mintToken(key);
    const [header, payload, signature] = valid.split(".");
    const tokens = {
      valid,
      expired: await mintToken(key, { now: now - 1000 }),
      tampered: `${header}.${Buffer.from(JSON.stringify({ sub: "user2" })).toString("base64url")}.${signature}`,
      otherSignature: `${header}.${payload}.${signature?.slice(0, -4)}AAAA`,
      hs384: await mintToken(key, { header: { alg: "HS384" } }),
      wrongType: await mintToken(key, { header: { typ: "JWT" } }),
      tutorial: jsonwebtoken.sign({ username: "user1" }, "my_secret_key", { expiresIn: 300 }),
      sessionOver: await mintToken(key, { claims: { auth_time: now - 86_400 } }),
    };

    for (const [name, token] of Object.entries(tokens)) {
      const welcome = (await container.handlers.welcome(
        httpApiEvent({ rawPath: "/welcome", cookies: [`token=${token}`] }),
      )) as APIGatewayProxyStructuredResultV2;
      const verdict = (await authorize(withToken(token))) as { isAuthorized: boolean };

      expect({ name, allowed: verdict.isAuthorized }).toEqual({ name, allowed: welcome.statusCode === 200 });
      expect({ name, allowed: verdict.isAuthorized }).toEqual({ name, allowed: name === "valid" });
    }
    expect(lines.join("")).not.toContain(valid);
  });

  it("throws, and allows no one, while the signing key cannot be read", async () => {
    captureLog();
    const token = await mintToken(devKey(container.secrets));
    container.coldStart();
    container.secrets.setFault({ kind: "error", type: "InternalServiceError", statusCode: 500 });

    await expect(authorize(withToken(token))).rejects.toThrow("the session could not be checked");
    const line = logged().find((entry) => entry.message === "authorize");
    expect(line).toMatchObject({ level: "error", outcome: "error", error: "service_unavailable" });
    expect(lines.join("")).not.toContain(token);
  });
});
