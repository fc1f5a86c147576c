/**
 * DynamoDB faults, injected at the local endpoint so the real SDK client meets them over HTTP, in
 * a container in this process (default REVOCATION_CHECK=refresh): every route that needs a table
 * answers 503 with a JSON error and Retry-After, never a 500 and never a session; /welcome, which
 * reads no table in this mode, keeps working.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Fault } from "../local/fault-injection.ts";
import { loadConfig } from "../shared/core/config.ts";
import { captureLogs, expectUnavailable } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer, signInEvent } from "./support/in-process.ts";
import { startTables } from "./support/service.ts";
import { devKey, liveToken, nowSeconds } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;
let logLines: string[] = [];

beforeAll(async () => {
  container = await loadContainer({ DYNAMODB_TIMEOUT_MS: "300" });
  logLines = captureLogs();
});

afterEach(async () => {
  container.dynamodb.setFault({ kind: "none" });
  // Back up if a test stopped it: an in-memory endpoint comes back empty, so the tables too.
  await startTables(loadConfig({ STAGE: "dev" }), await container.dynamodb.start());
  logLines.length = 0;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await container?.secrets.stop();
  await container?.dynamodb.stop();
});

type Result = APIGatewayProxyStructuredResultV2;

const withCookie = (path: string, method: string, token: string) =>
  httpApiEvent({
    rawPath: path,
    cookies: [`token=${token}`],
    requestContext: { http: { method, path } } as never,
  });

const faults: [string, Fault | "stopped"][] = [
  ["throttling", { kind: "throttle" }],
  ["an internal error", { kind: "error", type: "InternalServerError", statusCode: 500 }],
  ["access denied", { kind: "error", type: "AccessDeniedException" }],
  ["a missing table", { kind: "error", type: "ResourceNotFoundException" }],
  ["a dropped connection", { kind: "hang-up" }],
  ["a reply slower than DYNAMODB_TIMEOUT_MS", { kind: "delay", ms: 1000 }],
  ["an endpoint that is gone", "stopped"],
];

async function inject(fault: Fault | "stopped"): Promise<void> {
  if (fault === "stopped") await container.dynamodb.stop();
  else container.dynamodb.setFault(fault);
}

describe.each(faults)("with DynamoDB failing by %s", (_name, fault) => {
  it("answers 503 to sign-in and issues no session", async () => {
    await container.runtime.signingKeys.current(); // the key is cached: only the table fails
    await inject(fault);
    expectUnavailable(
      (await container.handlers.signin(signInEvent({ username: "user1", password: "password1" }))) as Result,
    );
    const [logged] = logLines.map((line) => JSON.parse(line)).filter((line) => line.message === "request");
    expect(logged).toMatchObject({ route: "signin", status: 503, error: "service_unavailable" });
  });

  it("answers 503 to refresh, logout and logout-everywhere, and keeps the cookie", async () => {
    const token = await liveToken(container.store, devKey(container.secrets), { now: nowSeconds() - 280 });
    await container.runtime.signingKeys.current();
    await inject(fault);

    expectUnavailable((await container.handlers.refresh(withCookie("/refresh", "POST", token))) as Result);
    expectUnavailable((await container.handlers.logout(withCookie("/logout", "POST", token))) as Result);
    expectUnavailable(
      (await container.handlers.logoutEverywhere(withCookie("/logout-everywhere", "POST", token))) as Result,
    );
  });

  it("answers 503 to a password change, and sets no cookie", async () => {
    const token = await liveToken(container.store, devKey(container.secrets));
    await container.runtime.signingKeys.current();
    await inject(fault);

    const body = JSON.stringify({ currentPassword: "password1", newPassword: "a long and quiet river" });
    const event = { ...withCookie("/password", "POST", token), headers: { "content-type": "application/json" }, body };
    expectUnavailable((await container.handlers.changePassword(event)) as Result);
  });

  it("keeps /welcome working, since it reads no table by default", async () => {
    const token = await liveToken(container.store, devKey(container.secrets));
    await inject(fault);

    const result = (await container.handlers.welcome(withCookie("/welcome", "GET", token))) as Result;
    expect([result.statusCode, result.body]).toEqual([200, "Welcome user1!"]);
  });
});

describe("once DynamoDB is back", () => {
  it("signs in again with no restart", async () => {
    container.dynamodb.setFault({ kind: "throttle" });
    expectUnavailable(
      (await container.handlers.signin(signInEvent({ username: "user2", password: "password2" }))) as Result,
    );

    container.dynamodb.setFault({ kind: "none" });
    const result = (await container.handlers.signin(
      signInEvent({ username: "user2", password: "password2" }),
    )) as Result;
    expect(result.statusCode).toBe(200);
    expect(result.cookies).toHaveLength(1);
  });
});
