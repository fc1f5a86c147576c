/**
 * What browsers meet, over HTTP against `npm start`'s composition (one service with
 * ALLOWED_ORIGINS, and the shared one without): the page and its headers, the cross-site rule on every
 * state-changing route and verb, and CORS as API Gateway answers it. The same in a real browser:
 * test/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";
import { devKey, liveToken, nowSeconds } from "./support/tokens.ts";

const APP = "https://app.example.com";
let configured: Service;
let unconfigured: SharedService;

beforeAll(async () => {
  unconfigured = sharedService();
  configured = await startService({ env: { ALLOWED_ORIGINS: APP } });
});

afterAll(async () => {
  await configured?.stop();
});

/** A client holding a valid token that is already in its refresh window (20 s left). */
async function signedIn(service: Service | SharedService): Promise<Client> {
  const client = new Client(service.baseUrl);
  const now = nowSeconds();
  // A live session in its refresh window, so that refresh answers 200 too.
  await client.setToken(await liveToken(service.store, devKey(service.secrets), { now, claims: { exp: now + 20 } }));
  return client;
}

const ROUTES = [
  ["POST", "/signin"],
  ["POST", "/refresh"],
  ["POST", "/logout"],
  ["GET", "/logout"],
  ["POST", "/logout-everywhere"],
] as const;

function send(client: Client, method: string, path: string, headers: Record<string, string>): Promise<Reply> {
  const body = path === "/signin" ? JSON.stringify({ username: "user1", password: "password1" }) : undefined;
  return client.request(method, path, {
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  });
}

function expectRefused(reply: Reply): void {
  expect(reply.status).toBe(403);
  expect(reply.json()).toEqual({ error: "cross_site_request", message: expect.any(String) });
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.setCookies).toEqual([]);
}

/** The session still works and can still be refreshed, as if the refused request never came. */
async function expectSessionIntact(client: Client): Promise<void> {
  const token = await client.token();
  expect((await client.request("GET", "/welcome")).text).toBe("Welcome user1!");
  expect(await client.token()).toBe(token);
}

describe("the page", () => {
  const CSP =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  it.each([
    ["/", "text/html; charset=utf-8", '<script src="/page.js" defer></script>'],
    ["/page.js", "text/javascript; charset=utf-8", "/refresh"],
    ["/page.css", "text/css; charset=utf-8", "prefers-color-scheme"],
  ])("serves %s as %s under a strict CSP, never framed, with no referrer", async (path, type, excerpt) => {
    const reply = await new Client(unconfigured.baseUrl).request("GET", path);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe(type);
    expect(reply.headers.get("content-security-policy")).toBe(CSP);
    expect(reply.headers.get("x-frame-options")).toBe("DENY");
    expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.setCookies).toEqual([]);
    expect(reply.text).toContain(excerpt);
  });

  it("has no inline script or style for the CSP to refuse", async () => {
    const html = (await new Client(unconfigured.baseUrl).request("GET", "/")).text;
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/page.js" defer>']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it("ships the script bundled for browsers: no TypeScript, no import left", async () => {
    const script = (await new Client(unconfigured.baseUrl).request("GET", "/page.js")).text;
    expect(script).not.toMatch(/^\s*import\s|\binterface\s+\w+\s*\{/m);
    // Bundled and minified: the page's script, with sessions, passkeys and tabs, is some 12 KB.
    expect(script.length).toBeLessThan(20_000);
  });
});

describe.each(ROUTES)("%s %s", (method, path) => {
  it.each([
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["an Origin of another site", { origin: "http://localhost:9999" }],
    ["Sec-Fetch-Site: same-site without an allowed Origin", { "sec-fetch-site": "same-site" }],
  ])("answers 403 cross_site_request to %s and leaves the session alone", async (_name, headers) => {
    const client = await signedIn(configured);
    expectRefused(await send(client, method, path, headers));
    await expectSessionIntact(client);
  });

  it("serves the allowed origin, and our own origin, and a request with neither header", async () => {
    const own = configured.baseUrl;
    const cases: Record<string, string>[] = [
      { origin: APP, "sec-fetch-site": "same-site" },
      { origin: own, "sec-fetch-site": "same-origin" },
      {},
    ];
    for (const headers of cases) {
      const reply = await send(await signedIn(configured), method, path, headers);
      expect(reply.status).toBe(200);
      expect(reply.setCookies).toHaveLength(1);
    }
  });
});

describe("CORS with ALLOWED_ORIGINS set", () => {
  it("approves a preflight from an allowed origin, with credentials", async () => {
    const reply = await new Client(configured.baseUrl).request("OPTIONS", "/signin", {
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
    const reply = await new Client(configured.baseUrl).request("OPTIONS", "/signin", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(reply.status).toBe(204);
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("lets the allowed origin read answers with credentials, and no other", async () => {
    const client = await signedIn(configured);
    const mine = await client.request("GET", "/welcome", { headers: { origin: APP } });
    expect(mine.headers.get("access-control-allow-origin")).toBe(APP);
    expect(mine.headers.get("access-control-allow-credentials")).toBe("true");
    const theirs = await client.request("GET", "/welcome", { headers: { origin: "https://evil.example" } });
    expect(theirs.status).toBe(200);
    expect([...theirs.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });
});

describe("CORS without ALLOWED_ORIGINS, as API Gateway with no CORS configuration", () => {
  it("answers a preflight 404 without approving it", async () => {
    const reply = await new Client(unconfigured.baseUrl).request("OPTIONS", "/signin", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(reply.status).toBe(404);
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("adds no CORS header to any answer, whatever the Origin", async () => {
    const client = await signedIn(unconfigured);
    for (const [method, path] of [
      ["GET", "/welcome"],
      ["GET", "/"],
      ["POST", "/refresh"],
      ["POST", "/signin"],
    ]) {
      const reply = await client.request(String(method), String(path), { headers: { origin: "https://evil.example" } });
      expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    }
  });

  it("refuses the allowed origin of another deployment: none is allowed here", async () => {
    expectRefused(await send(await signedIn(unconfigured), "POST", "/logout", { origin: APP }));
  });
});
