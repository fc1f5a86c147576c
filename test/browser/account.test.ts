/**
 * The page's account forms in a real Chromium against the real service (SIGNUP left closed):
 * changing the password, a refusal shown beside the form, and the sign-up form giving way to a
 * note when sign-up is closed.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser } from "../support/accounts.ts";
import { launchChromium, localhostUrl } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;
let url: string;

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  url = localhostUrl(service.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

/** A fresh browser profile with the page open, collecting script errors and CSP violations. */
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

async function signedInAs(user: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const opened = await openPage();
  await opened.page.fill("#username", user);
  await opened.page.fill("#password", "password1");
  await opened.page.click("#signin-button");
  await expect.poll(() => opened.page.textContent("#who")).toBe(user);
  return opened;
}

const tokenOf = async (context: BrowserContext) =>
  (await context.cookies(url)).find((cookie) => cookie.name === "token")?.value;

describe("the change-password form", () => {
  it("changes the password and keeps this tab signed in with a new session cookie", async () => {
    const user = await newUser(service.store, "page");
    const { context, page, errors } = await signedInAs(user);
    const before = await tokenOf(context);

    await page.fill("#current-password", "password1");
    await page.fill("#new-password", "a long and quiet river");
    await page.click("#password-button");

    // The first call of a function under serverless-offline loads it: allow for that.
    await expect
      .poll(() => page.textContent("#message"), { timeout: 15_000 })
      .toBe("Password changed. Every other session of yours has ended.");
    expect(await tokenOf(context)).not.toBe(before);
    expect(await page.isVisible("#signed-in")).toBe(true);
    expect(await page.inputValue("#new-password")).toBe("");
    expect(await page.evaluate(() => fetch("/welcome").then((r) => r.text()))).toBe(`Welcome ${user}!`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the policy's refusal beside the form and stays signed in", async () => {
    const user = await newUser(service.store, "page");
    const { context, page, errors } = await signedInAs(user);

    await page.fill("#current-password", "password1");
    await page.fill("#new-password", "password2");
    await page.click("#password-button");

    await expect
      .poll(() => page.textContent("#password-error"), { timeout: 15_000 })
      .toBe("The password must be at least 15 characters long; a few words make a good one.");
    expect(await page.isVisible("#password-error")).toBe(true);
    expect(await page.isVisible("#signed-in")).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("the sign-up form", () => {
  it("gives way to a note when the service answers signup_closed", async () => {
    const { context, page, errors } = await openPage();
    expect(await page.isVisible("#signup-form")).toBe(true);

    await page.fill("#signup-username", `page-new-${process.pid}`);
    await page.fill("#signup-password", "a long and quiet river");
    await page.click("#signup-button");

    await expect.poll(() => page.isVisible("#signup-closed"), { timeout: 15_000 }).toBe(true);
    expect(await page.isVisible("#signup-form")).toBe(false);
    expect(await page.isVisible("#signed-out")).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
