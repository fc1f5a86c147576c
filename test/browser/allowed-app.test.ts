/**
 * The layout docs/browser.md recommends for a single-page app on another origin of the same site,
 * as `npm start` runs it: the app on another port of localhost, named in ALLOWED_ORIGINS, calls
 * the API with `credentials: "include"`. Chromium stores and sends the Strict cookie and lets the
 * app read the answers; the same page on 127.0.0.1 (another site) gets nothing.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, localhostUrl, type OtherSite, startOtherSite } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let app: OtherSite;
let appOrigin: string;
let service: Service;
let browser: Browser;
let api: string;

beforeAll(async () => {
  app = await startOtherSite({ "/": "<!doctype html><title>The app</title>" });
  appOrigin = app.origin.replace("127.0.0.1", "localhost");
  [service, browser] = await Promise.all([startService({ env: { ALLOWED_ORIGINS: appOrigin } }), launchChromium()]);
  api = localhostUrl(service.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await app?.stop();
});

/** Runs fetch in the page; answers "status body", or "blocked" when the browser refuses. */
function call(page: Page, method: string, path: string, body?: unknown): Promise<string> {
  const init = {
    method,
    credentials: "include",
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  };
  return page.evaluate(
    `fetch(${JSON.stringify(api + path)}, ${JSON.stringify(init)})
      .then(async (r) => r.status + " " + (await r.text()), () => "blocked")`,
  ) as Promise<string>;
}

describe("an app on an allowed origin of the same site", () => {
  it("signs in, reads who is signed in, and logs out with credentials: include", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appOrigin}/`);

    expect(await call(page, "POST", "/signin", { username: "user1", password: "password1" })).toMatch(
      /^200 \{"username":"user1",/,
    );
    expect((await context.cookies(api)).map((cookie) => cookie.name)).toEqual(["token"]);
    expect(await call(page, "GET", "/welcome")).toBe("200 Welcome user1!");
    expect(await call(page, "POST", "/logout")).toBe('200 {"message":"Signed out."}');
    expect(await context.cookies(api)).toEqual([]);
    await context.close();
  });

  it("is the only one: the same page on another site can neither sign in nor read", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.origin}/`);

    expect(await call(page, "POST", "/signin", { username: "user1", password: "password1" })).toBe("blocked");
    expect(await call(page, "GET", "/welcome")).toBe("blocked");
    expect(await context.cookies(api)).toEqual([]);
    await context.close();
  });
});
