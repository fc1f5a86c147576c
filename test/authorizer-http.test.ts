/**
 * GET /me behind the session authorizer, over HTTP through serverless-offline, which runs the
 * request authorizer with simple responses as API Gateway does: a valid cookie reaches the
 * backend with the right user; every bad or missing one is refused before the backend runs.
 */
import jsonwebtoken from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let service: Service;
/** user2, signed in: its /me requests mark where the backend's log has got to. */
let marker: Client;

// Cache age 0 and no stale window: a fault injected at the endpoint is met by the next request;
// a short pause after a failed read lets the next test in soon after the fault is cleared.
beforeAll(async () => {
  service = await startService({
    env: { SECRET_CACHE_SECONDS: "0", SECRET_STALE_SECONDS: "0", SECRET_RETRY_MS: "100" },
  });
  marker = new Client(service.baseUrl);
  expect((await marker.signIn("user2", "password2")).status).toBe(200);
});

afterAll(async () => {
  await service?.stop();
});

const linesOf = (message: string) => service.logs().filter((line) => line.message === message);
const backendLines = () => linesOf("request").filter((line) => line.route === "me");

async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (let tries = 0; !done(); tries++) {
    if (tries > 200) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Sends user2's /me until it is let in: at once, unless a fault at the store was just cleared
 * (after a failed read the key cache waits SECRET_RETRY_MS before it asks the store again).
 */
async function userTwoLetIn(): Promise<void> {
  for (let tries = 0; (await marker.request("GET", "/me")).status !== 200; tries++) {
    if (tries > 50) throw new Error("the authorizer did not recover from the store's fault");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every token a test puts on the wire, looked for in the logs at the end. */
const tokensSent: string[] = [];

async function meWith(token: string): Promise<Reply> {
  tokensSent.push(token);
  const browser = new Client(service.baseUrl);
  await browser.setToken(token);
  return browser.request("GET", "/me");
}

/**
 * Sends a request that must be refused, then user2's. The backend logs in order, so once user2's
 * line is in, any line the refused request made would be in too: there must be none. Returns the refused reply and the authorizer's log lines for it.
 */
async function refusedBeforeTheBackend(send: () => Promise<Reply>) {
  const backendBefore = backendLines().length;
  const authorizeBefore = linesOf("authorize").length;
  const reply = await send();
  await userTwoLetIn();
  await waitFor("the marker request's log line", () => backendLines().length > backendBefore);
  expect(backendLines().slice(backendBefore)).toEqual([expect.objectContaining({ user: "user2", status: 200 })]);
  return { reply, authorizer: linesOf("authorize").slice(authorizeBefore) };
}

function expectForbidden(reply: Reply) {
  // serverless-offline's body; API Gateway answers 403 {"message":"Forbidden"} (docs/authorizer.md).
  expect(reply.status).toBe(403);
  expect(reply.json()).toMatchObject({ statusCode: 403, error: "Forbidden" });
  expect(reply.setCookies).toEqual([]);
  expect(reply.text).not.toMatch(/node_modules|\.ts:\d|\.mjs|at .*\(|stack/i);
}

describe("GET /me with a valid session", () => {
  it("answers 200 with the signed-in user, when the session started and when the token expires", async () => {
    const browser = new Client(service.baseUrl);
    const signedIn = await browser.signIn("user1", "password1");
    const before = nowSeconds();

    const reply = await browser.request("GET", "/me");

    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.setCookies).toEqual([]);
    const body = reply.json();
    expect(body).toEqual({
      username: "user1",
      authTime: expect.any(Number),
      expiresAt: signedIn.json().expiresAt,
      sid: expect.stringMatching(/^[\w-]{22}$/),
    });
    expect(Number(body.authTime)).toBeGreaterThan(before - 60);
    expect(Number(body.authTime)).toBeLessThanOrEqual(before);
  });

  it("answers each user with their own name", async () => {
    const reply = await marker.request("GET", "/me");

    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ username: "user2" });
  });

  it("passes the session's sign-in time through a refresh, with the new token's expiry", async () => {
    const key = devKey(service.secrets);
    const now = nowSeconds();
    const browser = new Client(service.baseUrl);
    // A token in its refresh window, from a sign-in 200 s ago.
    await browser.setToken(await liveToken(service.store, key, { now: now - 280, claims: { auth_time: now - 290 } }));
    const refreshed = await browser.request("POST", "/refresh");
    expect(refreshed.status).toBe(200);

    const reply = await browser.request("GET", "/me");

    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      username: "user1",
      authTime: now - 290,
      expiresAt: refreshed.json().expiresAt,
      sid: expect.any(String),
    });
  });
});

describe("GET /me refused by the authorizer, before the backend runs", () => {
  it("answers 401 without a Cookie header, without even asking the authorizer", async () => {
    const { reply, authorizer } = await refusedBeforeTheBackend(() =>
      new Client(service.baseUrl).request("GET", "/me"),
    );

    // serverless-offline's body; API Gateway answers 401 {"message":"Unauthorized"}.
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ statusCode: 401, error: "Unauthorized" });
    expect(authorizer.filter((line) => line.outcome !== "allow")).toEqual([]);
  });

  it("answers 403 to cookies without a session token", async () => {
    const { reply, authorizer } = await refusedBeforeTheBackend(() =>
      new Client(service.baseUrl).request("GET", "/me", { headers: { cookie: "theme=dark" } }),
    );

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "missing_token" }));
  });

  it("answers 403 to an expired token", async () => {
    const token = await mintToken(devKey(service.secrets), { now: nowSeconds() - 1000 });
    const { reply, authorizer } = await refusedBeforeTheBackend(() => meWith(token));

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "token_expired" }));
  });

  it("answers 403 to a token whose payload was changed after signing", async () => {
    const [header, , signature] = (await mintToken(devKey(service.secrets))).split(".");
    const payload = Buffer.from(JSON.stringify({ sub: "admin" })).toString("base64url");
    const { reply, authorizer } = await refusedBeforeTheBackend(() => meWith(`${header}.${payload}.${signature}`));

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "invalid_token" }));
  });

  it("answers 403 to a token signed with the real key under HS384", async () => {
    const token = await mintToken(devKey(service.secrets), { header: { alg: "HS384" } });
    const { reply, authorizer } = await refusedBeforeTheBackend(() => meWith(token));

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "invalid_token" }));
  });

  it("answers 403 to a token of another type signed with the real key", async () => {
    const token = await mintToken(devKey(service.secrets), { header: { typ: "JWT" } });
    const { reply, authorizer } = await refusedBeforeTheBackend(() => meWith(token));

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "invalid_token" }));
  });

  it("answers 403 to the tutorial's token, signed with my_secret_key", async () => {
    const token = jsonwebtoken.sign({ username: "user1" }, "my_secret_key", { expiresIn: 300 });
    const { reply, authorizer } = await refusedBeforeTheBackend(() => meWith(token));

    expectForbidden(reply);
    expect(authorizer).toContainEqual(expect.objectContaining({ outcome: "deny", error: "invalid_token" }));
  });

  it("refuses every session while the signing key cannot be read, and logs why", async () => {
    const token = await mintToken(devKey(service.secrets));
    service.secrets.setFault({ kind: "error", type: "InternalServiceError", statusCode: 500 });
    let reply: Reply;
    try {
      reply = await meWith(token);
    } finally {
      service.secrets.setFault({ kind: "none" });
    }
    const { authorizer } = await refusedBeforeTheBackend(async () => reply);

    // The authorizer throws: serverless-offline answers 401; API Gateway 500 {"message":"Internal Server Error"}.
    expect(reply.status).toBe(401);
    expect(reply.text).not.toMatch(/InternalServiceError|node_modules|\.mjs|stack/i);
    expect(authorizer).toContainEqual(
      expect.objectContaining({ level: "error", outcome: "error", error: "service_unavailable" }),
    );
  });
});

describe("the authorizer's log", () => {
  it("never holds a token or a cookie header", async () => {
    const browser = new Client(service.baseUrl);
    await browser.signIn("user1", "password1");
    const token = String(await browser.token());
    tokensSent.push(token);
    const before = linesOf("authorize").length;
    expect((await browser.request("GET", "/me")).status).toBe(200);
    expect((await meWith(await mintToken(devKey(service.secrets), { header: { typ: "JWT" } }))).status).toBe(403);
    await waitFor("the authorizer's two lines", () => linesOf("authorize").length >= before + 2);

    const authorizerLines = linesOf("authorize").map((line) => JSON.stringify(line));
    for (const sent of tokensSent) {
      for (const line of authorizerLines) expect(line).not.toContain(sent.split(".")[2]);
    }
    expect(authorizerLines.join("\n")).not.toMatch(/token=|cookie/i);
  });
});
