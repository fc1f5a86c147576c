/**
 * REVOCATION_CHECK=every-request, the real handlers in this process driven by a cookie jar as a
 * browser would drive them (GET /me through the session authorizer first, as the HTTP API routes
 * it): /welcome reads the session too, so an ended session is refused at once rather than at its
 * next refresh; when the table cannot be read, /welcome answers 503 rather than greet a session
 * it could not check. The authorizer over the gateway: test/security-http.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import type { Client, Reply } from "./support/client.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { loadContainer } from "./support/in-process.ts";
import { parseLogs } from "./support/service.ts";
import { devKey, mintToken } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;
let output: string[];

beforeAll(async () => {
  output = captureLogs();
  container = await loadContainer({ REVOCATION_CHECK: "every-request", DYNAMODB_TIMEOUT_MS: "300" });
});

afterEach(() => {
  container.dynamodb.setFault({ kind: "none" });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await container?.stop();
});

/** The handlers' structured log lines so far. */
const logs = () => parseLogs(output.join("").split("\n"));

let users = 0;
/** A browser signed in as a user of this test alone. */
async function signedIn(user?: string): Promise<{ browser: Client; user: string }> {
  const name = user ?? `every-${process.pid}-${users++}`;
  if (user === undefined) await container.store.addUser(name, demoUsers.user1, Date.now());
  const browser = container.client();
  expect((await browser.signIn(name, "password1")).status).toBe(200);
  return { browser, user: name };
}

async function copyOf(browser: Client): Promise<Client> {
  const copy = container.client();
  await copy.setToken(String(await browser.token()));
  return copy;
}

function expectRevoked(reply: Reply): void {
  expect(reply.status).toBe(401);
  expect(reply.json()).toEqual({ error: "session_revoked", message: "The session was ended. Sign in again." });
  expect(reply.setCookies).toEqual([]);
}

describe("REVOCATION_CHECK=every-request", () => {
  it("greets a live session", async () => {
    const { browser, user } = await signedIn();
    const reply = await browser.request("GET", "/welcome");
    expect([reply.status, reply.text]).toEqual([200, `Welcome ${user}!`]);
  });

  it("refuses a session at /welcome as soon as it is logged out", async () => {
    const { browser } = await signedIn();
    const kept = await copyOf(browser);

    await browser.request("POST", "/logout");
    expectRevoked(await kept.request("GET", "/welcome"));
  });

  it("refuses every session of the user at /welcome as soon as one logs out everywhere", async () => {
    const { browser, user } = await signedIn();
    const { browser: other } = await signedIn(user);

    expect((await browser.request("POST", "/logout-everywhere")).status).toBe(200);
    expectRevoked(await other.request("GET", "/welcome"));
  });

  it("refuses at /welcome a token signed with the real key that names no session", async () => {
    const forged = container.client();
    await forged.setToken(await mintToken(devKey(container.secrets)));
    expectRevoked(await forged.request("GET", "/welcome"));
  });

  it("answers 503 at /welcome, not a greeting, while the table cannot be read", async () => {
    const { browser } = await signedIn();
    container.dynamodb.setFault({ kind: "throttle" });

    const reply = await browser.request("GET", "/welcome");
    expect(reply.status).toBe(503);
    expect(reply.headers.get("retry-after")).toBe("5");
    expect(reply.json()).toEqual({
      error: "service_unavailable",
      message: "The service is temporarily unavailable. Try again shortly.",
    });
    expect(reply.setCookies).toEqual([]);
  });
});

describe("the session authorizer with REVOCATION_CHECK=every-request", () => {
  it("lets a live session through to GET /me with its session id", async () => {
    const { browser, user } = await signedIn();
    const reply = await browser.request("GET", "/me");
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ username: user, sid: expect.stringMatching(/^[\w-]{22}$/) });
  });

  it("refuses GET /me (403) as soon as the session is logged out, before the backend runs", async () => {
    const { browser } = await signedIn();
    const kept = await copyOf(browser);
    await browser.request("POST", "/logout");
    const backendBefore = logs().filter((line) => line.route === "me").length;

    const reply = await kept.request("GET", "/me");

    // API Gateway's answer to a denial (docs/authorizer.md).
    expect(reply.status).toBe(403);
    expect(reply.json()).toEqual({ message: "Forbidden" });
    expect(reply.setCookies).toEqual([]);
    const denial = logs()
      .filter((line) => line.message === "authorize")
      .at(-1);
    expect(denial).toMatchObject({ outcome: "deny", error: "session_revoked" });
    expect(logs().filter((line) => line.route === "me")).toHaveLength(backendBefore);
  });
});
