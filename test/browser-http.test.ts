/**
 * What browsers meet, over HTTP against `npm start`'s composition with the default configuration
 * (the shared service, no ALLOWED_ORIGINS): the page and its headers, the cross-site rule on every
 * state-changing route and verb, and CORS as API Gateway answers it. With ALLOWED_ORIGINS set:
 * security-http.test.ts. The same in a real browser: test/browser/.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { newUser } from "./support/accounts.ts";
import { Client, type Reply } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";
import { STATE_CHANGING, send, signedIn } from "./support/state-changing.ts";

const APP = "https://app.example.com";
let service: SharedService;
/** The user these tests sign in: one of this file alone. */
let user: string;

beforeAll(async () => {
  service = sharedService();
  user = await newUser(service.store, "browser");
});

function expectRefused(reply: Reply): void {
  expect(reply.status).toBe(403);
  expect(reply.json()).toEqual({ error: "cross_site_request", message: expect.any(String) });
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.setCookies).toEqual([]);
}

/** The session still works and can still be refreshed, as if the refused request never came. */
async function expectSessionIntact(client: Client): Promise<void> {
  const token = await client.token();
  expect((await client.request("GET", "/welcome")).text).toBe(`Welcome ${user}!`);
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
    const reply = await new Client(service.baseUrl).request("GET", path);
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
    const html = (await new Client(service.baseUrl).request("GET", "/")).text;
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/page.js" defer>']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it("ships the script bundled for browsers: no TypeScript, no import left", async () => {
    const script = (await new Client(service.baseUrl).request("GET", "/page.js")).text;
    expect(script).not.toMatch(/^\s*import\s|\binterface\s+\w+\s*\{/m);
    // Bundled and minified: the page's script, with sessions, passkeys and tabs, is some 12 KB.
    expect(script.length).toBeLessThan(20_000);
  });
});

describe.each(STATE_CHANGING)("%s %s", (method, path) => {
  it.each([
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["an Origin of another site", { origin: "http://localhost:9999" }],
    ["Sec-Fetch-Site: same-site without an allowed Origin", { "sec-fetch-site": "same-site" }],
  ])("answers 403 cross_site_request to %s and leaves the session alone", async (_name, headers) => {
    const client = await signedIn(service, user);
    expectRefused(await send(client, method, path, headers, user));
    await expectSessionIntact(client);
  });

  it("serves our own origin, and a request with neither header", async () => {
    const cases: Record<string, string>[] = [{ origin: service.baseUrl, "sec-fetch-site": "same-origin" }, {}];
    for (const headers of cases) {
      const reply = await send(await signedIn(service, user), method, path, headers, user);
      expect(reply.status).toBe(200);
      expect(reply.setCookies).toHaveLength(1);
    }
  });
});

describe("CORS without ALLOWED_ORIGINS, as API Gateway with no CORS configuration", () => {
  it("answers a preflight 404 without approving it", async () => {
    const reply = await new Client(service.baseUrl).request("OPTIONS", "/signin", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(reply.status).toBe(404);
    expect([...reply.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("adds no CORS header to any answer, whatever the Origin", async () => {
    const client = await signedIn(service, user);
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
    expectRefused(await send(await signedIn(service, user), "POST", "/logout", { origin: APP }, user));
  });
});
