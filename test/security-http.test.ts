/**
 * Over HTTP against the real handlers under serverless-offline (one service for all of these, whose
 * secret cache is off so that a fault injected at the endpoint is met at once, and which allows
 * one other origin):
 * - hostile requests, and the secrecy of the logs of a whole flow: no token, password, key,
 *   cookie header or body is ever printed;
 * - GET /me behind the session authorizer, which serverless-offline runs with simple responses
 *   as API Gateway does: a valid cookie reaches the backend with the right user; every bad or
 *   missing one is refused before the backend runs;
 * - ALLOWED_ORIGINS: the allowed origin is served and may read answers with credentials (CORS as
 *   API Gateway answers it); no other is.
 */
import { randomBytes } from "node:crypto";
import jsonwebtoken from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newUser } from "./support/accounts.ts";
import { Client, type Reply, rawHttp } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { STATE_CHANGING, send, signedIn } from "./support/state-changing.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

const APP = "https://app.example.com";
let service: Service;
/** user2, signed in: its /me requests mark where the backend's log has got to. */
let marker: Client;

// Cache age 0 and no stale window: a fault injected at the endpoint is met by the next request,
// and with no pause after a failure, the request after the fault is lifted reads the store again.
beforeAll(async () => {
  service = await startService({
    env: { SECRET_CACHE_SECONDS: "0", SECRET_STALE_SECONDS: "0", SECRET_RETRY_MS: "0", ALLOWED_ORIGINS: APP },
  });
  marker = new Client(service.baseUrl);
  expect((await marker.signIn("user2", "password2")).status).toBe(200);
});

afterAll(async () => {
  await service?.stop();
});

function expectClientError(reply: Reply) {
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.setCookies.filter((cookie) => !cookie.startsWith("token=;"))).toEqual([]);
  expect(reply.text).not.toMatch(/node_modules|\.ts:\d|\.mjs|at .*\(|stack/i);
}

/** The whole answer to a token that is not ours: 401 invalid_token, JSON, no cookie. */
function expectInvalidToken(reply: Reply) {
  expectClientError(reply);
  expect(reply.status).toBe(401);
  expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.json()).toEqual({ error: "invalid_token", message: expect.any(String) });
  expect(reply.setCookies).toEqual([]);
}

async function welcomeWith(token: string): Promise<Reply> {
  const browser = new Client(service.baseUrl);
  await browser.setToken(token);
  return browser.request("GET", "/welcome");
}

async function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Client(service.baseUrl).request(method, path, { headers, ...(body === undefined ? {} : { body }) });
}

describe("forged tokens over HTTP", () => {
  it("refuses alg none with 401 and sets no cookie", async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const now = nowSeconds();
    const claims = {
      sub: "user1",
      iss: "serverless-jwt-auth",
      aud: "serverless-jwt-auth/dev",
      iat: now,
      exp: now + 300,
    };
    expectInvalidToken(await welcomeWith(`${b64({ alg: "none", typ: "session+jwt" })}.${b64(claims)}.`));
  });

  it("refuses an HS512 token signed with the real key", async () => {
    const key = devKey(service.secrets);
    const { SignJWT } = await import("jose");
    const now = nowSeconds();
    const token = await new SignJWT({ auth_time: now, jti: "x" })
      .setProtectedHeader({ alg: "HS512", typ: "session+jwt", kid: key.kid })
      .setSubject("user1")
      .setIssuer("serverless-jwt-auth")
      .setAudience("serverless-jwt-auth/dev")
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key.bytes);
    expectInvalidToken(await welcomeWith(token));
  });

  it("refuses the tutorial's own token, signed with my_secret_key", async () => {
    expectInvalidToken(
      await welcomeWith(jsonwebtoken.sign({ username: "user1" }, "my_secret_key", { expiresIn: 300 })),
    );
  });

  it("refuses a refresh of a forged token inside the window, issuing nothing", async () => {
    const { kid } = devKey(service.secrets);
    const forged = await mintToken({ kid, bytes: randomBytes(32) }, { now: nowSeconds() - 290 });
    const browser = new Client(service.baseUrl);
    await browser.setToken(forged);
    expectInvalidToken(await browser.request("POST", "/refresh"));
  });
});

describe("absurd cookie headers over HTTP", () => {
  it.each([
    ["a 64 KB cookie", () => `token=${"a".repeat(65_536)}`],
    ["hundreds of cookies", () => Array.from({ length: 400 }, (_, i) => `c${i}=${"v".repeat(40)}`).join("; ")],
    ["an unterminated quoted value", () => 'token="abc'],
    ["separators only", () => ";;; ; = ;"],
    ["control characters", () => "token=\u0001\u0002"],
    ["two token cookies", () => "token=a.b.c; token=d.e.f"],
  ])("answers %s with a 4xx and no token", async (_name, cookie) => {
    const reply = await rawHttp(
      service.baseUrl,
      `GET /welcome HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`,
    );
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.head).not.toMatch(/set-cookie: token=[^;]/i);
    expect(reply.body).not.toMatch(/node_modules|\.ts:\d|\.mjs|at .*\(|stack/i);
  });
});

describe("sign-in abuse over HTTP", () => {
  it("refuses a form post with 415", async () => {
    const reply = await raw(
      "POST",
      "/signin",
      { "content-type": "application/x-www-form-urlencoded" },
      "username=user1&password=password1",
    );
    expectClientError(reply);
    expect(reply.status).toBe(415);
  });

  it("refuses a 64 KB body with 413", async () => {
    const reply = await raw(
      "POST",
      "/signin",
      { "content-type": "application/json" },
      JSON.stringify({ username: "user1", password: "x".repeat(65_536) }),
    );
    expectClientError(reply);
    expect(reply.status).toBe(413);
  });
});

describe("secret store failure over HTTP", () => {
  it("answers 503 JSON with Retry-After and no internals, then recovers", async () => {
    const browser = new Client(service.baseUrl);
    await browser.setToken(await mintToken(devKey(service.secrets)));

    service.secrets.setFault({ kind: "error", type: "AccessDeniedException" });
    const down = await browser.request("GET", "/welcome").finally(() => service.secrets.setFault({ kind: "none" }));
    const up = await browser.request("GET", "/welcome");

    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(down.headers.get("cache-control")).toBe("no-store");
    expect(down.headers.get("content-type")).toMatch(/^application\/json/);
    expect(down.setCookies).toEqual([]);
    expect(down.json()).toEqual({
      error: "service_unavailable",
      message: "The service is temporarily unavailable. Try again shortly.",
    });
    expect(up.status).toBe(200);
    expect(up.text).toBe("Welcome user1!");
  });
});

describe("logs", () => {
  it("write one JSON line per request and never a token, password, key, cookie header or body", async () => {
    const key = devKey(service.secrets);
    const passwords = ["password1", "wrong-password-123"];
    const tokens: string[] = []; // every token this test sends or is sent
    const kept = (token: string) => {
      tokens.push(token);
      return token;
    };
    const from = service.output.length;
    const browser = new Client(service.baseUrl);

    await browser.signIn("user1", "wrong-password-123");
    await browser.signIn("no-such-user", "password1");
    const signedIn = await browser.signIn("user1", "password1");
    kept(String(await browser.token()));
    await browser.request("GET", "/welcome");
    await browser.request("POST", "/refresh");
    await browser.setToken(kept(await liveToken(service.store, key, { now: nowSeconds() - 280 })));
    const refreshed = await browser.request("POST", "/refresh");
    kept(String(await browser.token()));
    await browser.setToken(kept(await mintToken({ kid: key.kid, bytes: randomBytes(32) })));
    await browser.request("GET", "/welcome");
    await browser.setToken(kept(await mintToken(key)));
    service.secrets.setFault({ kind: "error", type: "AccessDeniedException" });
    const down = await browser.request("GET", "/welcome").finally(() => service.secrets.setFault({ kind: "none" }));
    await browser.request("GET", "/logout");
    await browser.request("GET", "/welcome");

    const expected = [
      ["signin", 401, "invalid_credentials", null],
      ["signin", 401, "invalid_credentials", null],
      ["signin", 200, null, "user1"],
      ["welcome", 200, null, "user1"],
      ["refresh", 400, "refresh_too_early", null],
      ["refresh", 200, null, "user1"],
      ["welcome", 401, "invalid_token", null],
      ["welcome", 503, "service_unavailable", null],
      ["logout", 200, null, null],
      ["welcome", 401, "missing_token", null],
    ];
    const facts = (line: Record<string, unknown>) => [line.route, line.status, line.error ?? null, line.user ?? null];
    // The lines reach this process through serverless-offline's output a moment after the replies,
    // each function's through its own worker: wait for all of them, in whatever order they come.
    const lines = await vi.waitFor(
      () => {
        const printed = service.logs(from).filter((line) => line.message === "request");
        const mine = printed.slice(-expected.length);
        expect(mine.map(facts).sort()).toEqual([...expected].sort());
        return mine;
      },
      { timeout: 5000, interval: 10 },
    );
    const output = service.output.join("\n"); // every test's lines so far, not only these

    expect([signedIn.status, refreshed.status, down.status]).toEqual([200, 200, 503]);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: line.status === 503 ? "error" : "info",
        requestId: expect.any(String),
        durationMs: expect.any(Number),
      });
    }
    for (const token of tokens) {
      for (const part of token.split(".").filter((p) => p.length > 20)) expect(output).not.toContain(part);
    }
    for (const password of passwords) expect(output).not.toContain(password);
    expect(output).not.toContain(Buffer.from(key.bytes).toString("base64url"));
    expect(output).not.toMatch(/token=|cookie:|"password"/i);
  });
});

// GET /me behind the session authorizer.

const linesOf = (message: string) => service.logs().filter((line) => line.message === message);
const backendLines = () => linesOf("request").filter((line) => line.route === "me");

async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (let tries = 0; !done(); tries++) {
    if (tries > 200) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends user2's /me, which is let in at once, even right after a fault at the store is cleared. */
async function userTwoLetIn(): Promise<void> {
  expect((await marker.request("GET", "/me")).status).toBe(200);
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
    const authorizeBefore = linesOf("authorize").length;
    service.secrets.setFault({ kind: "error", type: "InternalServiceError", statusCode: 500 });
    let reply: Reply;
    try {
      reply = await meWith(token);
    } finally {
      service.secrets.setFault({ kind: "none" });
    }
    await refusedBeforeTheBackend(async () => reply);
    await waitFor("the authorizer's two lines", () => linesOf("authorize").length >= authorizeBefore + 2);
    const authorizer = linesOf("authorize").slice(authorizeBefore);

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

describe.each(STATE_CHANGING)("%s %s with ALLOWED_ORIGINS set", (method, path) => {
  let user: string;
  beforeAll(async () => {
    user = await newUser(service.store, "origins");
  });

  it("serves the allowed origin, and still refuses another", async () => {
    const reply = await send(
      await signedIn(service, user),
      method,
      path,
      { origin: APP, "sec-fetch-site": "same-site" },
      user,
    );
    expect(reply.status).toBe(200);
    expect(reply.setCookies).toHaveLength(1);
    const other = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    const refused = await send(await signedIn(service, user), method, path, other, user);
    expect([refused.status, refused.json()]).toEqual([
      403,
      { error: "cross_site_request", message: expect.any(String) },
    ]);
    expect(refused.setCookies).toEqual([]);
  });
});

describe("CORS with ALLOWED_ORIGINS set", () => {
  let user: string;
  beforeAll(async () => {
    user = await newUser(service.store, "origins");
  });

  it("approves a preflight from an allowed origin, with credentials", async () => {
    const reply = await new Client(service.baseUrl).request("OPTIONS", "/signin", {
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get("access-control-allow-origin")).toBe(APP);
    expect(reply.headers.get("access-control-allow-credentials")).toBe("true");
    expect(reply.headers.get("access-control-allow-methods")).toBe("GET,POST");
    expect(reply.headers.get("access-control-allow-headers")).toBe("content-type");
  });

  it("approves no preflight from another origin", async () => {
    const reply = await new Client(service.baseUrl).request("OPTIONS", "/signin", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(reply.status).toBe(204);
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("lets the allowed origin read answers with credentials, and no other", async () => {
    const client = await signedIn(service, user);
    const mine = await client.request("GET", "/welcome", { headers: { origin: APP } });
    expect(mine.headers.get("access-control-allow-origin")).toBe(APP);
    expect(mine.headers.get("access-control-allow-credentials")).toBe("true");
    const theirs = await client.request("GET", "/welcome", { headers: { origin: "https://evil.example" } });
    expect(theirs.status).toBe(200);
    expect([...theirs.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });
});
