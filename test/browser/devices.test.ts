/**
 * "Where you're signed in" on the page, in Chromium: two browser profiles as two devices of one
 * user (REVOCATION_CHECK=every-request, so the ended one is refused at its next check).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demoUsers from "../../local/demo-users.json" with { type: "json" };
import { launchChromium, localhostUrl } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

const LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

let service: Service;
let browser: Browser;
let url: string;

beforeAll(async () => {
  [service, browser] = await Promise.all([
    startService({ env: { REVOCATION_CHECK: "every-request" } }),
    launchChromium(),
  ]);
  url = localhostUrl(service.baseUrl);
  await service.store.addUser("devices", demoUsers.user1, Date.now());
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

async function device(userAgent: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ userAgent });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.fill("#username", "devices");
  await page.fill("#password", "password1");
  await page.click("#signin-button");
  await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toBe("devices");
  return { context, page };
}

describe("where you're signed in", () => {
  it("lists both devices and signs the other one out, which is signed out at its next check", async () => {
    const laptop = await device(LINUX);
    const desktop = await device(WINDOWS);
    await laptop.page.reload();

    await expect
      .poll(() => laptop.page.locator("#devices li").allTextContents(), { timeout: 10_000 })
      .toEqual([
        expect.stringMatching(/^Chrome on Windows127\.0\.0\.1 · signed in .* · last active .*Sign out$/),
        expect.stringMatching(/^Chrome on Linux \(this device\)127\.0\.0\.1/),
      ]);
    await laptop.page.click("#devices li button");
    await expect.poll(() => laptop.page.locator("#devices li").count(), { timeout: 10_000 }).toBe(1);

    await desktop.page.reload(); // its next check: /welcome
    await expect.poll(() => desktop.page.isVisible("#signed-out"), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => desktop.page.textContent("#message"), { timeout: 10_000 })
      .toBe("Your session was ended. Sign in again.");
    await Promise.all([laptop.context.close(), desktop.context.close()]);
  });
});
