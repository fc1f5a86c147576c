/**
 * Secret-store faults, injected at the local Secrets Manager endpoint so the real SDK client meets
 * them over HTTP: every one is a 503 with a JSON error and Retry-After, never a 500 or a hang; a
 * cached key keeps serving for a bounded time; the service recovers by itself. Only Date is faked,
 * so the tests move the clock past the stale window and the pause after a failure.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Fault } from "../local/fault-injection.ts";
import { captureLogs, expectUnavailable } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer, signInEvent } from "./support/in-process.ts";
import { devKey, KEY_SECRET, liveToken, mintToken } from "./support/tokens.ts";

// Cache age 0: every request reads the store, so each fault is met at once; a value read less
// than 2 s ago may still be served while the store fails. A read is given up after 1.5 s (room
// for the SDK's one retry of a throttled read, which waits up to 1 s), and the store is not read
// again for 1 s after a failure.
const STALE_MS = 2000;
const TIMEOUT_MS = 1500;
const RETRY_MS = 1000;

let container: Awaited<ReturnType<typeof loadContainer>>;
let goodKey: string;
let logLines: string[] = [];

beforeAll(async () => {
  // Faked before the handlers load, so the caches' clock is the fake one too.
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  container = await loadContainer({
    SECRET_CACHE_SECONDS: "0",
    SECRET_STALE_SECONDS: String(STALE_MS / 1000),
    SECRET_TIMEOUT_MS: String(TIMEOUT_MS),
    SECRET_RETRY_MS: String(RETRY_MS),
  });
  goodKey = String(container.secrets.store.getSecretValue({ SecretId: KEY_SECRET }).SecretString);
  logLines = captureLogs();
});

afterEach(async () => {
  container.secrets.setFault({ kind: "none" });
  await container.secrets.start().catch(() => undefined); // back up if a test stopped it
  if (container.secrets.store.getSecretValue({ SecretId: KEY_SECRET }).SecretString !== goodKey) {
    container.secrets.store.putSecretValue({ SecretId: KEY_SECRET, SecretString: goodKey });
  }
  container.coldStart();
  logLines.length = 0;
});

afterAll(async () => {
  await container?.dynamodb.stop();
  vi.restoreAllMocks();
  vi.useRealTimers();
  await container?.secrets.stop();
});

/** Moves the handlers' clock forward. */
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

async function welcome(token: string) {
  return (await container.handlers.welcome(
    httpApiEvent({ rawPath: "/welcome", cookies: [`token=${token}`] }),
  )) as APIGatewayProxyStructuredResultV2;
}

const signIn = async () =>
  (await container.handlers.signin(
    signInEvent({ username: "user1", password: "password1" }),
  )) as APIGatewayProxyStructuredResultV2;

function requestLogs(): Record<string, unknown>[] {
  return logLines.flatMap((line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return parsed.message === "request" ? [parsed] : [];
  });
}

const faults: [string, Fault, string][] = [
  ["throttling", { kind: "throttle" }, "ThrottlingException"],
  ["access denied", { kind: "error", type: "AccessDeniedException" }, "AccessDeniedException"],
  ["a missing secret", { kind: "error", type: "ResourceNotFoundException" }, "ResourceNotFoundException"],
  ["an internal error", { kind: "error", type: "InternalServiceError", statusCode: 500 }, "InternalServiceError"],
  ["a dropped connection", { kind: "hang-up" }, ""],
  ["a reply slower than SECRET_TIMEOUT_MS", { kind: "delay", ms: TIMEOUT_MS + 1000 }, ""],
];

describe("with nothing cached", () => {
  it.each(faults)("answers 503 with Retry-After to %s, for welcome and signin", async (_name, fault, cause) => {
    const token = await mintToken(devKey(container.secrets));
    container.secrets.setFault(fault);

    // Side by side: welcome reads the signing key, sign-in the users, so each meets the fault.
    const [welcomed, signedIn] = await Promise.all([welcome(token), signIn()]);

    expectUnavailable(welcomed);
    expectUnavailable(signedIn);
    const logged = requestLogs().sort((a, b) => String(a.route).localeCompare(String(b.route)));
    expect(logged).toMatchObject([
      { route: "signin", status: 503, error: "service_unavailable" },
      { route: "welcome", status: 503, error: "service_unavailable" },
    ]);
    for (const line of logged) expect(JSON.stringify(line)).toContain(cause);
  });

  it("answers 503 to logout and keeps both the cookie and the session, rather than claim a sign-out", async () => {
    const token = await liveToken(container.store, devKey(container.secrets));
    const sid = JSON.parse(Buffer.from(String(token.split(".")[1]), "base64url").toString()).sid as string;
    container.secrets.setFault({ kind: "error", type: "AccessDeniedException" });

    const result = (await container.handlers.logout(
      httpApiEvent({ rawPath: "/logout", cookies: [`token=${token}`] }),
    )) as APIGatewayProxyStructuredResultV2;

    expectUnavailable(result);
    await expect(container.store.getSession(sid)).resolves.toMatchObject({ sid, username: "user1" });
  });

  it("answers 503 when the endpoint is gone", async () => {
    const token = await mintToken(devKey(container.secrets));
    await container.secrets.stop();
    expectUnavailable(await welcome(token));
  });

  it.each([
    ["not JSON", "not json at all"],
    ["not a JWK", JSON.stringify({ kty: "RSA", n: "abc", e: "AQAB" })],
    [
      "shorter than 32 bytes",
      JSON.stringify({ kty: "oct", k: Buffer.alloc(31, 7).toString("base64url"), alg: "HS256" }),
    ],
    [
      "for another algorithm",
      JSON.stringify({ kty: "oct", k: Buffer.alloc(64, 7).toString("base64url"), alg: "HS512" }),
    ],
  ])(
    "refuses a signing key that is %s with 503 and a log line that names the problem, not the value",
    async (_name, value) => {
      const token = await mintToken(devKey(container.secrets));
      container.secrets.store.putSecretValue({ SecretId: KEY_SECRET, SecretString: value });

      expectUnavailable(await welcome(token));
      const [logged] = requestLogs();
      expect(JSON.stringify(logged)).toContain("UnusableSecretError");
      expect(logLines.join("")).not.toContain(value);
    },
  );
});

describe("with a key cached", () => {
  it("keeps serving from the cached key while the store fails, then answers 503 once it is too old", async () => {
    const token = await mintToken(devKey(container.secrets));
    expect((await welcome(token)).statusCode).toBe(200);
    container.secrets.setFault({ kind: "error", type: "AccessDeniedException" });

    const during = await welcome(token);
    advance(STALE_MS - 1); // past SECRET_CACHE_SECONDS (0), not yet past SECRET_STALE_SECONDS
    const lastStale = await welcome(token);
    advance(1);
    const tooOld = await welcome(token);

    expect(during).toMatchObject({ statusCode: 200, body: "Welcome user1!" });
    expect(lastStale).toMatchObject({ statusCode: 200, body: "Welcome user1!" });
    expect(logLines.join("")).toContain("secret store failed; using the cached value");
    expectUnavailable(tooOld);
  });

  it("reads a failing store once per pause however many requests arrive, and recovers by itself", async () => {
    const token = await mintToken(devKey(container.secrets));
    container.secrets.setFault({ kind: "error", type: "AccessDeniedException" });
    container.secrets.resetCalls();

    const results = await Promise.all(Array.from({ length: 20 }, () => welcome(token)));
    const readsDuringOutage = container.secrets.count("GetSecretValue");
    container.secrets.setFault({ kind: "none" });
    advance(RETRY_MS - 1);
    const withinPause = await welcome(token);
    const readsWithinPause = container.secrets.count("GetSecretValue");
    advance(1);
    const afterPause = await welcome(token);

    for (const result of results) expectUnavailable(result);
    expect(readsDuringOutage).toBe(1);
    expectUnavailable(withinPause);
    expect(readsWithinPause).toBe(1);
    expect(afterPause).toMatchObject({ statusCode: 200, body: "Welcome user1!" });
    expect(container.secrets.count("GetSecretValue")).toBe(2);
  });
});
