/**
 * POST /password and POST /signup (SIGNUP=open), the real handlers in-process with events as AWS
 * sends them, on the local Secrets Manager and DynamoDB through the real SDK.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { SCRYPT_PARAMS } from "../shared/core/passwords.ts";
import { newUser } from "./support/accounts.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { loadContainer, postEvent } from "./support/in-process.ts";
import { devKey, liveToken, nowSeconds } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;
let logs: string[];

beforeAll(async () => {
  logs = captureLogs();
  container = await loadContainer({ SIGNUP: "open" });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await container?.dynamodb.stop();
  await container?.secrets.stop();
});

type Result = APIGatewayProxyStructuredResultV2;
const NEW_PASSWORD = "a long and quiet river";
/** A hash at the shipped cost (SCRYPT_PARAMS), not the memory tests' cheaper one. */
const SHIPPED_COST = new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$`);
const COOKIE = /^token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Strict$/;

const call = async (name: "changePassword" | "signup" | "refresh", event: APIGatewayProxyEventV2) =>
  (await container.handlers[name](event)) as Result;

/** A live session of `user` as its cookie, signed in `ago` seconds ago. */
async function cookieOf(user: string, ago = 0): Promise<string> {
  const token = await liveToken(container.store, devKey(container.secrets), {
    now: nowSeconds() - ago,
    claims: { sub: user },
  });
  return `token=${token}`;
}

const changeEvent = (cookie: string | undefined, body: unknown, headers?: Record<string, string>) =>
  postEvent("/password", body, {
    ...(cookie === undefined ? {} : { cookies: [cookie] }),
    ...(headers === undefined ? {} : { headers }),
  });

function expectRefusal(result: Result, status: number, body: { error: string; message?: string }) {
  expect(result.statusCode).toBe(status);
  expect(result.headers).toMatchObject({
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });
  expect(JSON.parse(String(result.body))).toEqual({ message: expect.any(String), ...body });
  expect(result.cookies).toBeUndefined();
}

function expectSessionIssued(result: Result, status: number, username: string) {
  expect(result.statusCode).toBe(status);
  expect(result.cookies).toHaveLength(1);
  expect(result.cookies?.[0]).toMatch(COOKIE);
  expect(JSON.parse(String(result.body))).toEqual({
    username,
    expiresAt: expect.any(Number),
    expiresAtIso: expect.any(String),
    expiresInSeconds: 300,
    refreshInSeconds: 270,
  });
}

describe("POST /password", () => {
  it("answers 200 with a new session cookie and the sign-in body, and stores the new hash", async () => {
    const user = await newUser(container.store, "acct");

    const result = await call(
      "changePassword",
      changeEvent(await cookieOf(user), { currentPassword: "password1", newPassword: NEW_PASSWORD }),
    );

    expectSessionIssued(result, 200, user);
    expect((await container.store.getUser(user))?.passwordHash).toMatch(SHIPPED_COST);
    expect((await container.store.getUser(user))?.passwordHash).not.toBe(demoUsers.user1);
    expect(logs.join("")).not.toContain(NEW_PASSWORD);
  });

  it("ends the user's other sessions: their next refresh is session_revoked", async () => {
    const user = await newUser(container.store, "acct");
    const other = await cookieOf(user, 280);

    await call(
      "changePassword",
      changeEvent(await cookieOf(user), { currentPassword: "password1", newPassword: NEW_PASSWORD }),
    );

    expectRefusal(await call("refresh", postEvent("/refresh", "", { cookies: [other] })), 401, {
      error: "session_revoked",
    });
  });

  it("refuses a weak new password with 400 weak_password saying why, and changes nothing", async () => {
    const user = await newUser(container.store, "acct");

    const result = await call(
      "changePassword",
      changeEvent(await cookieOf(user), { currentPassword: "password1", newPassword: "password1" }),
    );

    expectRefusal(result, 400, {
      error: "weak_password",
      message: "The password must be at least 15 characters long; a few words make a good one.",
    });
    expect((await container.store.getUser(user))?.passwordHash).toBe(demoUsers.user1);
  });

  it("answers a wrong current password with 401 invalid_credentials and counts it", async () => {
    const user = await newUser(container.store, "acct");

    const result = await call(
      "changePassword",
      changeEvent(await cookieOf(user), { currentPassword: "password2", newPassword: NEW_PASSWORD }),
    );

    expectRefusal(result, 401, { error: "invalid_credentials", message: "Wrong username or password." });
    expect((await container.store.getAttempts(user))?.failures).toBe(1);
  });

  it("needs the session cookie", async () => {
    expectRefusal(
      await call("changePassword", changeEvent(undefined, { currentPassword: "password1", newPassword: NEW_PASSWORD })),
      401,
      { error: "missing_token" },
    );
  });

  it.each([
    [{ currentPassword: "password1" }, 400, "invalid_request"],
    [{ currentPassword: 1, newPassword: NEW_PASSWORD }, 400, "invalid_request"],
    ["[]", 400, "invalid_json"],
    [{ currentPassword: "", newPassword: NEW_PASSWORD }, 401, "invalid_credentials"],
  ])("refuses the body %j with %i %s", async (body, status, error) => {
    const user = await newUser(container.store, "acct");
    expectRefusal(await call("changePassword", changeEvent(await cookieOf(user), body)), status, { error });
  });

  it("refuses another site's page with 403 cross_site_request and changes nothing", async () => {
    const user = await newUser(container.store, "acct");

    const result = await call(
      "changePassword",
      changeEvent(
        await cookieOf(user),
        { currentPassword: "password1", newPassword: NEW_PASSWORD },
        { "content-type": "application/json", "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      ),
    );

    expectRefusal(result, 403, { error: "cross_site_request" });
    expect((await container.store.getUser(user))?.passwordHash).toBe(demoUsers.user1);
  });
});

describe("POST /signup with SIGNUP=open", () => {
  const signUp = (body: unknown, headers?: Record<string, string>) =>
    call("signup", postEvent("/signup", body, headers === undefined ? {} : { headers }));

  it("creates the user and answers 201 with the session cookie and the sign-in body", async () => {
    const username = `new-${process.pid}-1`;

    expectSessionIssued(await signUp({ username, password: NEW_PASSWORD }), 201, username);
    expect(await container.store.getUser(username)).toMatchObject({
      username,
      passwordHash: expect.stringMatching(SHIPPED_COST),
    });
    expect(logs.join("")).not.toContain(NEW_PASSWORD);
  });

  it("answers 409 username_taken for a name in use, and leaves that user as they were", async () => {
    expectRefusal(await signUp({ username: "user2", password: NEW_PASSWORD }), 409, {
      error: "username_taken",
      message: "This username is taken.",
    });
    expect((await container.store.getUser("user2"))?.passwordHash).toBe(demoUsers.user2);
  });

  it("answers 400 weak_password saying why, and creates nothing", async () => {
    const username = `new-${process.pid}-2`;

    expectRefusal(await signUp({ username, password: "Mailcreated5240" }), 400, {
      error: "weak_password",
      message: "This password is one of the most common passwords; choose another.",
    });
    expect(await container.store.getUser(username)).toBeUndefined();
  });

  it.each([
    [{ username: "-bad", password: NEW_PASSWORD }, "invalid_request"],
    [{ username: "alice" }, "invalid_request"],
    ["not json", "invalid_json"],
  ])("refuses the body %j with 400 %s", async (body, error) => {
    expectRefusal(await signUp(body), 400, { error });
  });

  it("refuses another site's page with 403 cross_site_request and creates nothing", async () => {
    const username = `new-${process.pid}-3`;

    expectRefusal(
      await signUp(
        { username, password: NEW_PASSWORD },
        { "content-type": "application/json", origin: "https://evil.example" },
      ),
      403,
      { error: "cross_site_request" },
    );
    expect(await container.store.getUser(username)).toBeUndefined();
  });
});
