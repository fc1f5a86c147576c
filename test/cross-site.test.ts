/**
 * The cross-site rule of the state-changing routes (shared/cross-site.ts), on events as API
 * Gateway delivers them, and its place in httpHandler: a refused request never reaches the handler.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { assertNotCrossSite } from "../shared/http/cross-site.ts";
import { httpHandler, json } from "../shared/http/handler.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent } from "./support/in-process.ts";

const ALLOWED = ["https://app.example.com"];

const event = (headers: Record<string, string>) =>
  httpApiEvent({
    rawPath: "/logout",
    headers: { host: "auth.example.com", ...headers },
    requestContext: { http: { method: "POST", path: "/logout" } } as never,
  });

const refusal = expect.objectContaining({ status: 403, code: "cross_site_request" });

describe("assertNotCrossSite", () => {
  it.each([
    ["no Fetch Metadata and no Origin (curl, servers)", {}],
    [
      "Sec-Fetch-Site: same-origin with our Origin",
      { "sec-fetch-site": "same-origin", origin: "https://auth.example.com" },
    ],
    ["Sec-Fetch-Site: none (typed in the address bar)", { "sec-fetch-site": "none" }],
    ["our own Origin without Fetch Metadata", { origin: "https://auth.example.com" }],
    [
      "an allowed Origin from a sibling subdomain",
      { "sec-fetch-site": "same-site", origin: "https://app.example.com" },
    ],
    ["an allowed Origin written in capitals", { origin: "HTTPS://APP.EXAMPLE.COM" }],
    ["header names in any case", { "Sec-Fetch-Site": "same-origin", Origin: "https://auth.example.com" }],
  ])("lets through %s", (_name, headers) => {
    expect(() => assertNotCrossSite(event(headers), ALLOWED)).not.toThrow();
  });

  it.each([
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    [
      "Sec-Fetch-Site: cross-site even with an allowed Origin",
      { "sec-fetch-site": "cross-site", origin: "https://app.example.com" },
    ],
    ["Sec-Fetch-Site: same-site without an Origin (a link from a sibling)", { "sec-fetch-site": "same-site" }],
    [
      "Sec-Fetch-Site: same-site from a sibling not allowed",
      { "sec-fetch-site": "same-site", origin: "https://blog.example.com" },
    ],
    ["an Origin of another site without Fetch Metadata", { origin: "https://evil.example" }],
    ["the opaque Origin null (sandboxed frames, data: URLs)", { origin: "null" }],
    ["our host over plain http", { origin: "http://auth.example.com" }],
    ["our host on another port", { origin: "https://auth.example.com:8443" }],
  ])("refuses %s", (_name, headers) => {
    expect(() => assertNotCrossSite(event(headers), ALLOWED)).toThrow(refusal);
  });

  it("takes http on loopback as this service's own origin, as `npm start` serves it", () => {
    const local = httpApiEvent({ headers: { host: "localhost:8000", origin: "http://localhost:8000" } });
    expect(() => assertNotCrossSite(local, [])).not.toThrow();
    const otherPort = httpApiEvent({ headers: { host: "localhost:8000", origin: "http://localhost:5173" } });
    expect(() => assertNotCrossSite(otherPort, [])).toThrow(refusal);
  });

  it("allows no other origin when none is configured", () => {
    expect(() => assertNotCrossSite(event({ origin: "https://app.example.com" }), [])).toThrow(refusal);
  });
});

describe("httpHandler with refuseCrossSite", () => {
  let lines: string[];

  beforeEach(() => {
    lines = captureLogs();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("answers 403 cross_site_request without running the handler, so no cookie is set or cleared", async () => {
    let ran = false;
    const handler = httpHandler(
      "logout",
      async () => {
        ran = true;
        return json(200, {}, ["token=; Max-Age=0"]);
      },
      { refuseCrossSite: ALLOWED },
    );
    const result = await handler(event({ "sec-fetch-site": "cross-site" }));

    expect(ran).toBe(false);
    expect(result.statusCode).toBe(403);
    expect(result.cookies).toBeUndefined();
    expect(result.headers).toMatchObject({
      "Cache-Control": "no-store",
      "Content-Type": "application/json; charset=utf-8",
    });
    expect(JSON.parse(String(result.body))).toEqual({ error: "cross_site_request", message: expect.any(String) });
  });

  it("logs which page sent a refused request: its Origin and Sec-Fetch-Site", async () => {
    const handler = httpHandler("logout", async () => json(200, {}), { refuseCrossSite: ALLOWED });
    await handler(event({ "sec-fetch-site": "cross-site", origin: "https://evil.example" }));

    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        route: "logout",
        status: 403,
        error: "cross_site_request",
        origin: "https://evil.example",
        fetchSite: "cross-site",
      }),
    ]);
  });

  it("applies no rule to a handler that does not opt in", async () => {
    const handler = httpHandler("welcome", async () => json(200, { ok: true }));
    expect((await handler(event({ "sec-fetch-site": "cross-site" }))).statusCode).toBe(200);
  });
});
