/**
 * Hostile requests over HTTP against the real handlers under serverless-offline, and the secrecy
 * of the logs of a whole flow: no token, password, key, cookie header or body is ever printed.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import jsonwebtoken from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let service: Service;

// Cache age 0 and no stale window: a fault injected at the endpoint is met by the next request.
beforeAll(async () => {
  service = await startService({ env: { SECRET_CACHE_SECONDS: "0", SECRET_STALE_SECONDS: "0" } });
});

afterAll(async () => {
  await service?.stop();
});

/** Every secret value a test puts on the wire, to be looked for in the logs at the end. */
const secretsSent = new Set<string>();

function expectClientError(reply: Reply) {
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.setCookies.filter((cookie) => !cookie.startsWith("token=;"))).toEqual([]);
  expect(reply.text).not.toMatch(/node_modules|\.ts:\d|\.mjs|at .*\(|stack/i);
}

async function welcomeWith(token: string): Promise<Reply> {
  secretsSent.add(token);
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
    const reply = await welcomeWith(`${b64({ alg: "none", typ: "session+jwt" })}.${b64(claims)}.`);
    expectClientError(reply);
    expect(reply.json()).toMatchObject({ error: "invalid_token" });
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
    const reply = await welcomeWith(token);
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ error: "invalid_token" });
  });

  it("refuses the tutorial's own token, signed with my_secret_key", async () => {
    const reply = await welcomeWith(jsonwebtoken.sign({ username: "user1" }, "my_secret_key", { expiresIn: 300 }));
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ error: "invalid_token" });
  });

  it("refuses a refresh of a forged token inside the window, issuing nothing", async () => {
    const { kid } = devKey(service.secrets);
    const forged = await mintToken({ kid, bytes: randomBytes(32) }, { now: nowSeconds() - 290 });
    secretsSent.add(forged);
    const browser = new Client(service.baseUrl);
    await browser.setToken(forged);
    const reply = await browser.request("POST", "/refresh");
    expect(reply.status).toBe(401);
    expect(reply.setCookies).toEqual([]);
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
    const reply = await rawRequest(
      `GET /welcome HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie()}\r\nConnection: close\r\n\r\n`,
    );
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(reply.head).not.toMatch(/set-cookie: token=[^;]/i);
    expect(reply.body).not.toMatch(/node_modules|\.ts:\d|\.mjs|at .*\(|stack/i);
  });
});

/** Sends bytes as they are, since fetch refuses to send some hostile headers at all. */
function rawRequest(request: string): Promise<{ status: number; head: string; body: string }> {
  const { port } = new URL(service.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      resolve({ status: Number(head.split(" ")[1]), head, body });
    });
  });
}

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
    const token = await mintToken(devKey(service.secrets));
    secretsSent.add(token);
    service.secrets.setFault({ kind: "throttle" });
    const browser = new Client(service.baseUrl);
    await browser.setToken(token);
    const down = await browser.request("GET", "/welcome");
    service.secrets.setFault({ kind: "none" });

    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(down.json()).toEqual({
      error: "service_unavailable",
      message: "The service is temporarily unavailable. Try again shortly.",
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await browser.request("GET", "/welcome")).status).toBe(200);
  });
});

describe("logs", () => {
  it("write one JSON line per request and never a token, password, key, cookie header or body", async () => {
    const browser = new Client(service.baseUrl);
    const passwords = ["password1", "wrong-password-123"];
    await browser.signIn("user1", "wrong-password-123");
    await browser.signIn("no-such-user", "password1");
    const signedIn = await browser.signIn("user1", "password1");
    const issued = String(await browser.token());
    secretsSent.add(issued);
    await browser.request("GET", "/welcome");
    await browser.request("POST", "/refresh");
    const inWindow = await liveToken(service.store, devKey(service.secrets), { now: nowSeconds() - 280 });
    secretsSent.add(inWindow);
    await browser.setToken(inWindow);
    const refreshed = await browser.request("POST", "/refresh");
    secretsSent.add(String(await browser.token()));
    await browser.request("GET", "/logout");
    await browser.request("GET", "/welcome");
    expect(signedIn.status).toBe(200);
    expect(refreshed.status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last lines arrive
    const output = service.output.join("\n");
    const key = JSON.parse(
      String(service.secrets.store.getSecretValue({ SecretId: "serverless-jwt-auth/dev/signing-key" }).SecretString),
    ) as { k: string };
    for (const token of secretsSent) {
      for (const part of token.split(".").filter((p) => p.length > 20)) expect(output).not.toContain(part);
    }
    for (const password of passwords) expect(output).not.toContain(password);
    expect(output).not.toContain(key.k);
    expect(output).not.toMatch(/token=|cookie:|"password"/i);

    const requests = service.logs().filter((line) => line.message === "request");
    const signins = requests.filter((line) => line.route === "signin");
    expect(signins.map((line) => [line.status, line.error ?? null, line.user ?? null]).slice(-3)).toEqual([
      [401, "invalid_credentials", null],
      [401, "invalid_credentials", null],
      [200, null, "user1"],
    ]);
    for (const line of requests) {
      expect(line).toMatchObject({
        level: expect.any(String),
        route: expect.any(String),
        status: expect.any(Number),
        requestId: expect.any(String),
        durationMs: expect.any(Number),
      });
    }
  });
});
