/**
 * Three tabs of the page in one Chromium profile share one cookie: through three refresh cycles of
 * short tokens (20 s, a 15 s window) one tab renews it per cycle (Web Locks) and the others follow
 * (BroadcastChannel), so none is signed out and no refresh is sent twice. Real time, about 30 s.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, localhostUrl } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;
let url: string;

beforeAll(async () => {
  [service, browser] = await Promise.all([
    startService({ env: { TOKEN_TTL_SECONDS: "20", REFRESH_WINDOW_SECONDS: "15" } }),
    launchChromium(),
  ]);
  url = localhostUrl(service.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe("three tabs of the page", () => {
  it("stay signed in through three refresh cycles with exactly one refresh request per cycle", async () => {
    const context = await browser.newContext();
    const refreshes: { at: number; status: number; cookie: string }[] = [];
    context.on("response", async (response) => {
      if (response.request().method() !== "POST" || !response.url().endsWith("/refresh")) return;
      const cookie = /token=([^;]*)/.exec((await response.headerValue("set-cookie")) ?? "")?.[1] ?? "";
      refreshes.push({ at: Date.now(), status: response.status(), cookie });
    });
    const errors: string[] = [];
    const pages: Page[] = [];
    for (let i = 0; i < 3; i += 1) {
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${url}/`);
      if (i === 0) {
        await page.fill("#username", "user1");
        await page.fill("#password", "password1");
        await page.click("#signin-button");
      }
      // Generous: the first sign-in and /welcome start their functions under serverless-offline.
      await expect.poll(() => page.textContent("#who"), { timeout: 15_000 }).toBe("user1");
      pages.push(page);
    }
    const [first] = pages as [Page];

    // A cycle is about 8.75 s (renewal 3.75 s into the 15 s window); wait for the third.
    await expect.poll(() => refreshes.length, { timeout: 40_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    await first.waitForTimeout(2000); // a second tab's duplicate, if any, would have been sent by now

    expect(refreshes.map((refresh) => refresh.status)).toEqual(refreshes.map(() => 200));
    expect(new Set(refreshes.map((refresh) => refresh.cookie)).size).toBe(refreshes.length);
    const gaps = refreshes.slice(1).map((refresh, i) => refresh.at - (refreshes[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThan(5000);
    for (const page of pages) {
      expect(await page.isVisible("#signed-in")).toBe(true);
      expect(await page.isVisible("#signed-out")).toBe(false);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
