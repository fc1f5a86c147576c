/**
 * Refresh reuse through the real handlers in this process, against local DynamoDB with the real
 * SDK, with the clock moved (only Date is faked: the SDK's timers stay real): a replay of a
 * superseded token after the grace answers 401 and ends the session, logging who and from where;
 * an outage at the conditional write issues nothing.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { captureLogs, expectUnavailable } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer, signInEvent } from "./support/in-process.ts";

type Result = APIGatewayProxyStructuredResultV2;

let container: Awaited<ReturnType<typeof loadContainer>>;
let logLines: string[] = [];

beforeAll(async () => {
  container = await loadContainer({ DYNAMODB_TIMEOUT_MS: "300" });
  await container.runtime.signingKeys.current();
});

afterEach(() => {
  container.dynamodb.setFault({ kind: "none" });
  vi.useRealTimers();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await container?.secrets.stop();
  await container?.dynamodb.stop();
});

const refreshEvent = (token: string, userAgent = "Firefox/128") =>
  httpApiEvent({
    rawPath: "/refresh",
    headers: { "user-agent": userAgent },
    cookies: [`token=${token}`],
    requestContext: { http: { method: "POST", path: "/refresh", sourceIp: "203.0.113.9" } } as never,
  });

const tokenOf = (result: Result) => /^token=([^;]+)/.exec(result.cookies?.[0] ?? "")?.[1] ?? "";

/** Signs user1 in at the current (faked) time; then moves the clock into the token's refresh window. */
async function signedInThenInWindow(): Promise<string> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  const signedIn = (await container.handlers.signin(
    signInEvent({ username: "user1", password: "password1" }),
  )) as Result;
  expect(signedIn.statusCode).toBe(200);
  vi.setSystemTime(Date.now() + 280_000);
  return tokenOf(signedIn);
}

describe("POST /refresh of a superseded token", () => {
  it("gets the successor again within the grace", async () => {
    const token = await signedInThenInWindow();
    const first = (await container.handlers.refresh(refreshEvent(token))) as Result;
    vi.setSystemTime(Date.now() + 9_000);

    const again = (await container.handlers.refresh(refreshEvent(token))) as Result;

    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(again.cookies).toEqual(first.cookies);
    expect(again.body).toEqual(first.body);
  });

  it("answers 401 session_revoked after the grace, ends the session, and logs the reuse once", async () => {
    const token = await signedInThenInWindow();
    const successor = tokenOf((await container.handlers.refresh(refreshEvent(token))) as Result);
    vi.setSystemTime(Date.now() + 10_000);
    logLines = captureLogs();

    const replay = (await container.handlers.refresh(refreshEvent(token, `Thief/1 ${"z".repeat(400)}`))) as Result;

    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(String(replay.body))).toEqual({
      error: "session_revoked",
      message: "The session was ended. Sign in again.",
    });
    expect(replay.cookies).toBeUndefined();
    await expect(container.store.getSession(String(decodeJwt(token).sid))).resolves.toBeUndefined();
    const records = logLines.map((line) => JSON.parse(line));
    expect(records.filter((record) => record.message === "refresh reuse")).toEqual([
      {
        level: "warn",
        message: "refresh reuse",
        user: "user1",
        session: expect.stringMatching(/^[\w-]{22}$/),
        ip: "203.0.113.9",
        device: "", // a User-Agent no rule knows
      },
    ]);
    expect(logLines.join("")).not.toContain(String(decodeJwt(token).sid));

    vi.setSystemTime(Date.now() + 270_000); // the successor's own window
    const owner = (await container.handlers.refresh(refreshEvent(successor))) as Result;
    expect([owner.statusCode, JSON.parse(String(owner.body)).error]).toEqual([401, "session_revoked"]);
  });
});

describe("an outage at refresh's conditional write", () => {
  it("answers 503 and issues nothing; the same token refreshes once the table is back", async () => {
    const token = await signedInThenInWindow();
    container.dynamodb.setFault({ kind: "error", type: "InternalServerError", statusCode: 500 }, ["UpdateItem"]);

    expectUnavailable((await container.handlers.refresh(refreshEvent(token))) as Result);
    await expect(container.store.getSession(String(decodeJwt(token).sid))).resolves.toMatchObject({
      token: { jti: decodeJwt(token).jti },
    });

    container.dynamodb.setFault({ kind: "none" });
    expect(((await container.handlers.refresh(refreshEvent(token))) as Result).statusCode).toBe(200);
  });
});
