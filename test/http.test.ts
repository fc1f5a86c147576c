/**
 * The routes table of the README, driven over HTTP with a cookie jar against the real handlers
 * under serverless-offline, with the real SDK reading the local Secrets Manager endpoint.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { Client, type Reply } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let service: SharedService;

beforeAll(() => {
  service = sharedService();
});

const client = () => new Client(service.baseUrl);

/** The attributes of a Set-Cookie header, lower-cased, without the name=value pair. */
function attributes(setCookie: string): string[] {
  return setCookie
    .split(";")
    .slice(1)
    .map((part) => part.trim().toLowerCase())
    .filter((part) => !part.startsWith("expires="))
    .sort();
}

function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.json()).toEqual({ error: code, message: expect.any(String) });
  expect(reply.setCookies).toEqual([]);
}

describe("POST /signin", () => {
  it("sets an HttpOnly, Secure, SameSite=Strict token cookie for 300 s and reports the expiry", async () => {
    const before = nowSeconds();
    const reply = await client().signIn("user1", "password1");

    expect(reply.status).toBe(200);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.setCookies).toHaveLength(1);
    const [cookie = ""] = reply.setCookies;
    expect(cookie).toMatch(/^token=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(attributes(cookie)).toEqual(["httponly", "max-age=300", "path=/", "samesite=strict", "secure"]);
    const body = reply.json();
    expect(body.username).toBe("user1");
    expect(body.expiresAt).toBeGreaterThanOrEqual(before + 300);
    expect(body.expiresAt).toBeLessThanOrEqual(nowSeconds() + 300);
    expect(body.expiresAtIso).toBe(new Date(Number(body.expiresAt) * 1000).toISOString());
    // Relative to this answer, so a client need not trust its clock: the window opens at 270 s.
    expect(body.expiresInSeconds).toBe(300);
    expect(body.refreshInSeconds).toBe(270);
  });

  it("signs in the second demo user", async () => {
    const reply = await client().signIn("user2", "password2");
    expect(reply.status).toBe(200);
    expect(reply.json().username).toBe("user2");
  });

  it("refuses a wrong password and an unknown user with the same 401 and no cookie", async () => {
    const wrongPassword = await client().signIn("user1", "password2");
    const unknownUser = await client().signIn("mallory", "password1");
    expectError(wrongPassword, 401, "invalid_credentials");
    expectError(unknownUser, 401, "invalid_credentials");
    expect(unknownUser.json()).toEqual(wrongPassword.json());
  });

  it.each([
    ["invalid JSON", "{not json", 400, "invalid_json"],
    ["an array", '["user1","password1"]', 400, "invalid_json"],
    ["a string", '"user1"', 400, "invalid_json"],
    ["null", "null", 400, "invalid_json"],
    ["a missing password", '{"username":"user1"}', 400, "invalid_request"],
    ["a numeric password", '{"username":"user1","password":1}', 400, "invalid_request"],
    ["an empty body", "", 400, "invalid_json"],
  ])("answers %s with %i and no token", async (_name, body, status, code) => {
    const reply = await client().request("POST", "/signin", { body, headers: { "content-type": "application/json" } });
    expectError(reply, status, code);
  });
});

describe("GET /welcome", () => {
  it("greets the signed-in user in plain text", async () => {
    const browser = client();
    await browser.signIn("user1", "password1");
    const reply = await browser.request("GET", "/welcome");

    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.text).toBe("Welcome user1!");
    expect(reply.setCookies).toEqual([]);
  });

  it("answers 401 missing_token without a cookie", async () => {
    expectError(await client().request("GET", "/welcome"), 401, "missing_token");
  });

  it("answers 401 invalid_token to a malformed token", async () => {
    const browser = client();
    await browser.setToken("not-a-jwt");
    expectError(await browser.request("GET", "/welcome"), 401, "invalid_token");
  });

  it("answers 401 invalid_token to a token whose payload was changed", async () => {
    const browser = client();
    await browser.signIn("user1", "password1");
    const [header, payload, signature] = String(await browser.token()).split(".");
    const claims = JSON.parse(Buffer.from(String(payload), "base64url").toString("utf8"));
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "user2" })).toString("base64url");
    await browser.setToken(`${header}.${forged}.${signature}`);
    expectError(await browser.request("GET", "/welcome"), 401, "invalid_token");
  });

  it("answers 401 invalid_token to a token signed with another key", async () => {
    const browser = client();
    const { kid } = devKey(service.secrets);
    await browser.setToken(await mintToken({ kid, bytes: randomBytes(32) }));
    expectError(await browser.request("GET", "/welcome"), 401, "invalid_token");
  });

  it("answers 401 token_expired to an expired token", async () => {
    const browser = client();
    await browser.setToken(await mintToken(devKey(service.secrets), { now: nowSeconds() - 301 }));
    expectError(await browser.request("GET", "/welcome"), 401, "token_expired");
  });

  it("accepts a token minted with the dev key, proving the test mints what the service signs", async () => {
    const browser = client();
    await browser.setToken(await mintToken(devKey(service.secrets), { claims: { sub: "user2" } }));
    const reply = await browser.request("GET", "/welcome");
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("Welcome user2!");
  });
});

describe("POST /refresh", () => {
  it("answers 400 refresh_too_early and leaves the cookie alone while more than 30 s are left", async () => {
    const browser = client();
    await browser.signIn("user1", "password1");
    const token = await browser.token();
    const reply = await browser.request("POST", "/refresh");

    expectError(reply, 400, "refresh_too_early");
    expect(await browser.token()).toBe(token);
  });

  it("re-issues a fresh 300 s token for the same user inside the last 30 s", async () => {
    const browser = client();
    const now = nowSeconds();
    const old = await liveToken(service.store, devKey(service.secrets), { now: now - 280, claims: { sub: "user2" } });
    await browser.setToken(old);
    const reply = await browser.request("POST", "/refresh");

    expect(reply.status).toBe(200);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.setCookies).toHaveLength(1);
    expect(attributes(reply.setCookies[0] ?? "")).toEqual([
      "httponly",
      "max-age=300",
      "path=/",
      "samesite=strict",
      "secure",
    ]);
    const body = reply.json();
    expect(body.username).toBe("user2");
    expect(body.expiresAt).toBeGreaterThanOrEqual(now + 300);
    expect(body).toMatchObject({ expiresInSeconds: 300, refreshInSeconds: 270 });
    const fresh = await browser.token();
    expect(fresh).not.toBe(old);
    const welcome = await browser.request("GET", "/welcome");
    expect(welcome.text).toBe("Welcome user2!");
  });

  it("answers 401 missing_token without a cookie", async () => {
    expectError(await client().request("POST", "/refresh"), 401, "missing_token");
  });

  it("answers 401 token_expired to an expired token", async () => {
    const browser = client();
    await browser.setToken(await mintToken(devKey(service.secrets), { now: nowSeconds() - 305 }));
    expectError(await browser.request("POST", "/refresh"), 401, "token_expired");
  });
});

describe("/logout", () => {
  /** The whole answer of a logout: 200, a JSON note, and the one Set-Cookie that deletes the token. */
  function expectSignedOut(reply: Reply): void {
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.json()).toEqual({ message: "Signed out." });
    expect(reply.setCookies).toHaveLength(1);
    const [cookie = ""] = reply.setCookies;
    expect(cookie).toMatch(/^token=;/);
    expect(attributes(cookie)).toEqual(["httponly", "max-age=0", "path=/", "samesite=strict", "secure"]);
  }

  it.each(["POST", "GET"])("%s clears the token cookie with the same attributes and Max-Age=0", async (method) => {
    const browser = client();
    await browser.signIn("user1", "password1");
    const reply = await browser.request(method, "/logout");

    expectSignedOut(reply);
    expect(await browser.token()).toBeUndefined();
    expectError(await browser.request("GET", "/welcome"), 401, "missing_token");
  });

  it("answers the same 200 and clearing cookie without a session", async () => {
    expectSignedOut(await client().request("POST", "/logout"));
  });
});
