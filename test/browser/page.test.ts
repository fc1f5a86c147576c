/**
 * The page at GET / in a real Chromium against the real service, with short tokens (10 s, an 8 s
 * refresh window) so that its automatic refresh happens within a test.
 */
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, localhostUrl } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;
let url: string;

beforeAll(async () => {
  [service, browser] = await Promise.all([
    startService({ env: { TOKEN_TTL_SECONDS: "10", REFRESH_WINDOW_SECONDS: "8" } }),
    launchChromium(),
  ]);
  url = localhostUrl(service.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/**
 * A fresh browser profile (a new "device") with the page open. Script errors and CSP violations
 * are collected (not the console's notes on 4xx answers, which the page handles).
 */
async function openPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${url}/`);
  return { context, page, errors };
}

async function signIn(page: Page, username = "user1", password = "password1"): Promise<void> {
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("#signin-button");
}

async function token(context: BrowserContext) {
  return (await context.cookies(url)).find((cookie) => cookie.name === "token");
}

describe("the page", () => {
  it("signs in and shows who is signed in and how long the token has left, with no CSP violation", async () => {
    const { context, page, errors } = await openPage();
    await signIn(page);

    await expect.poll(() => page.textContent("#who")).toBe("user1");
    expect(await page.isVisible("#signed-out")).toBe(false);
    expect(await page.textContent("#time-left")).toMatch(/^0:(0\d|10)$/);
    expect(await page.textContent("#next-refresh")).toMatch(/^in 0:0\d$|^now$/);
    expect(await token(context)).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keeps the HttpOnly token out of document.cookie", async () => {
    const { context, page } = await openPage();
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");

    expect(await token(context)).toBeDefined();
    expect(await page.evaluate("document.cookie")).toBe("");
    await context.close();
  });

  it("refreshes the token on its own once the refresh window opens, before it expires", async () => {
    const { context, page, errors } = await openPage();
    const refreshes: number[] = [];
    page.on("response", (response) => {
      if (response.url().endsWith("/refresh")) refreshes.push(response.status());
    });
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");
    const first = (await token(context))?.value;

    await expect.poll(async () => (await token(context))?.value, { timeout: 15_000 }).not.toBe(first);
    expect(refreshes).toEqual([200]);
    expect(await page.isVisible("#signed-in")).toBe(true);
    expect(await page.isVisible("#message")).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keeps the session across a reload", async () => {
    const { context, page } = await openPage();
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");
    await page.reload();

    await expect.poll(() => page.textContent("#who")).toBe("user1");
    expect(await page.isVisible("#signed-in")).toBe(true);
    expect(await page.textContent("#time-left")).toMatch(/^0:(0\d|10)$/);
    await context.close();
  });

  it("follows another tab: a sign-in there shows here, a logout there signs this tab out", async () => {
    const { context, page: first } = await openPage();
    const second = await context.newPage();
    await second.goto(`${url}/`);
    await signIn(first);

    await expect.poll(() => second.textContent("#who")).toBe("user1");
    await second.click("#logout");
    await expect.poll(() => first.textContent("#message")).toBe("Signed out in another tab.");
    expect(await first.isVisible("#signed-out")).toBe(true);
    await context.close();
  });

  it("shows the API's refusal of a wrong password in words, and stays signed out", async () => {
    const { context, page } = await openPage();
    await signIn(page, "user1", "wrong-password");

    await expect.poll(() => page.textContent("#message")).toBe("Wrong username or password.");
    expect(await page.isVisible("#signed-out")).toBe(true);
    expect(await token(context)).toBeUndefined();
    await context.close();
  });

  it("logs out: the cookie is gone and the page says so", async () => {
    const { context, page } = await openPage();
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");
    await page.click("#logout");

    await expect.poll(() => page.textContent("#message")).toBe("Signed out.");
    expect(await page.isVisible("#signed-out")).toBe(true);
    expect(await token(context)).toBeUndefined();
    await context.close();
  });

  it("says so, and stays signed in, when the server has no POST /logout-everywhere", async () => {
    const { context, page } = await openPage();
    // API Gateway's answer for a route the API does not have.
    await page.route("**/logout-everywhere", (route) =>
      route.fulfill({ status: 404, contentType: "application/json", body: '{"message":"Not Found"}' }),
    );
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");
    await page.click("#logout-everywhere");

    await expect.poll(() => page.textContent("#message")).toBe("“Log out everywhere” is not available on this server.");
    expect(await page.isVisible("#signed-in")).toBe(true);
    expect(await token(context)).toBeDefined();
    await context.close();
  });

  it("logs out everywhere: another device's session ends at its next refresh", async () => {
    const phone = await openPage();
    const laptop = await openPage();
    await signIn(phone.page);
    await signIn(laptop.page);
    await expect.poll(() => laptop.page.textContent("#who")).toBe("user1");
    await phone.page.click("#logout-everywhere");

    await expect.poll(() => phone.page.textContent("#message")).toBe("Signed out on every device.");
    expect(await token(phone.context)).toBeUndefined();
    await expect
      .poll(() => laptop.page.textContent("#message"), { timeout: 15_000 })
      .toBe("Your session was ended. Sign in again.");
    expect(await laptop.page.isVisible("#signed-out")).toBe(true);
    await Promise.all([phone.context.close(), laptop.context.close()]);
  });

  it.each([
    ["a phone", 375, 740],
    ["a desktop", 1280, 800],
  ])("fits %s without scrolling sideways", async (name, width, height) => {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await signIn(page);
    await expect.poll(() => page.textContent("#who")).toBe("user1");

    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
    if (process.env.SCREENSHOT_DIR) {
      mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/page-${name.replace(/\W+/g, "-")}.png` });
    }
    await context.close();
  });
});
