/**
 * REVOCATION_CHECK=every-request over HTTP: /welcome reads the session too, so an ended session
 * is refused at once rather than at its next refresh; when the table cannot be read, /welcome
 * answers 503 rather than greet a session it could not check.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { devKey, mintToken } from "./support/tokens.ts";

let service: Service;

beforeAll(async () => {
  service = await startService({ env: { REVOCATION_CHECK: "every-request", DYNAMODB_TIMEOUT_MS: "300" } });
});

afterEach(() => {
  service.dynamodb.setFault({ kind: "none" });
});

afterAll(async () => {
  await service?.stop();
});

let users = 0;
/** A browser signed in as a user of this test alone. */
async function signedIn(user?: string): Promise<{ browser: Client; user: string }> {
  const name = user ?? `every-${process.pid}-${users++}`;
  if (user === undefined) await service.store.addUser(name, demoUsers.user1, Date.now());
  const browser = new Client(service.baseUrl);
  expect((await browser.signIn(name, "password1")).status).toBe(200);
  return { browser, user: name };
}

async function copyOf(browser: Client): Promise<Client> {
  const copy = new Client(service.baseUrl);
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
    const forged = new Client(service.baseUrl);
    await forged.setToken(await mintToken(devKey(service.secrets)));
    expectRevoked(await forged.request("GET", "/welcome"));
  });

  it("answers 503 at /welcome, not a greeting, while the table cannot be read", async () => {
    const { browser } = await signedIn();
    service.dynamodb.setFault({ kind: "throttle" });

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
    const backendBefore = service.logs().filter((line) => line.route === "me").length;

    const reply = await kept.request("GET", "/me");

    // serverless-offline's body; API Gateway answers 403 {"message":"Forbidden"} (docs/authorizer.md).
    expect(reply.status).toBe(403);
    expect(reply.json()).toMatchObject({ statusCode: 403, error: "Forbidden" });
    expect(reply.setCookies).toEqual([]);
    // The authorizer's line reaches this process through offline's output a moment after the reply.
    await vi.waitFor(
      () => {
        const denial = service
          .logs()
          .filter((line) => line.message === "authorize")
          .at(-1);
        expect(denial).toMatchObject({ outcome: "deny", error: "session_revoked" });
      },
      { timeout: 5000, interval: 10 },
    );
    expect(service.logs().filter((line) => line.route === "me")).toHaveLength(backendBefore);
  });
});
