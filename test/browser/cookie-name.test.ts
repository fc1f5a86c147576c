/** The page with SESSION_COOKIE_NAME=__Host-token: Chromium accepts the prefixed cookie and the flow works. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, localhostUrl, signInOnPage } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;

beforeAll(async () => {
  [service, browser] = await Promise.all([
    startService({ env: { SESSION_COOKIE_NAME: "__Host-token" } }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe("SESSION_COOKIE_NAME=__Host-token in Chromium", () => {
  it("stores the prefixed cookie host-only, greets with it, and clears it at logout", async () => {
    const url = localhostUrl(service.baseUrl);
    const context = await browser.newContext();
    const page = await signInOnPage(context, url);

    const cookies = await context.cookies(url);
    expect(cookies.map((cookie) => cookie.name)).toEqual(["__Host-token"]);
    expect(cookies[0]).toMatchObject({ domain: "localhost", path: "/", secure: true, httpOnly: true });
    const welcome = await context.newPage();
    await welcome.goto(`${url}/welcome`);
    expect(await welcome.textContent("body")).toBe("Welcome user1!");

    await page.click("#logout");
    await expect.poll(() => page.textContent("#message")).toBe("Signed out.");
    expect(await context.cookies(url)).toEqual([]);
    await context.close();
  });
});
