/**
 * What another site's page can do to a signed-in user, in a real Chromium: the victim signs in on
 * the page at http://localhost, then opens a page of http://127.0.0.1 (another site) or of
 * another port of localhost (the same site) that tries to log them out, sign them in as someone
 * else, or read their answers. Each attempt leaves the victim's cookie as it was.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, localhostUrl, type OtherSite, signInOnPage, startOtherSite } from "../support/browser.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;
let other: OtherSite;
let url: string;

/** Pages of the attacking site; each attack starts on its own. */
function attackPages(target: string): Record<string, string> {
  const autoSubmit = "<script>document.forms[0].submit()</script>";
  return {
    "/": "<!doctype html><title>Win a prize</title><p>Nothing to see.</p>",
    "/link": `<!doctype html><a id="attack" href="${target}/logout">Claim your prize</a>`,
    "/form-logout": `<!doctype html><form method="post" action="${target}/logout"></form>${autoSubmit}`,
    // Login CSRF: a text/plain form whose one field spells a JSON body, to sign the victim in as user2.
    "/form-signin":
      `<!doctype html><form method="post" enctype="text/plain" action="${target}/signin">` +
      `<input type="hidden" name='{"username":"user2","password":"password2","x":"' value='"}'></form>${autoSubmit}`,
  };
}

beforeAll(async () => {
  [service, browser] = await Promise.all([startService(), launchChromium()]);
  url = localhostUrl(service.baseUrl);
  other = await startOtherSite(attackPages(url));
});

afterAll(async () => {
  await other?.stop();
  await browser?.close();
  await service?.stop();
});

/** A victim signed in on the page, and a second tab on which the attacker's page will open. */
async function signedInVictim(): Promise<{ context: BrowserContext; attacker: Page; token: string }> {
  const context = await browser.newContext();
  await signInOnPage(context, url);
  const token = (await context.cookies(url)).find((cookie) => cookie.name === "token")?.value;
  expect(token).toBeDefined();
  return { context, attacker: await context.newPage(), token: String(token) };
}

/** The victim's cookie is the one they had, and the service still greets them with it. */
async function expectUntouched(context: BrowserContext, token: string): Promise<void> {
  expect((await context.cookies(url)).filter((cookie) => cookie.name === "token").map((c) => c.value)).toEqual([token]);
  const check = await context.newPage();
  await check.goto(`${url}/welcome`);
  expect(await check.textContent("body")).toBe("Welcome user1!");
  await context.close();
}

/** Log lines of the handlers for one route, so far. */
const logged = (route: string) => service.logs().filter((line) => line.route === route);

describe("another site", () => {
  it("cannot log the user out with a link: the navigation gets 403 cross_site_request", async () => {
    const { context, attacker, token } = await signedInVictim();
    await attacker.goto(`${other.origin}/link`);
    const answer = attacker.waitForResponse((response) => response.url() === `${url}/logout`);
    await attacker.click("#attack");

    expect((await answer).status()).toBe(403);
    await attacker.waitForURL(`${url}/logout`);
    expect(JSON.parse(String(await attacker.textContent("body")))).toMatchObject({ error: "cross_site_request" });
    await expectUntouched(context, token);
  });

  it("cannot log the user out with an auto-submitted form POST /logout", async () => {
    const { context, attacker, token } = await signedInVictim();
    const answer = attacker.waitForResponse((response) => response.url() === `${url}/logout`);
    await attacker.goto(`${other.origin}/form-logout`);

    expect((await answer).status()).toBe(403);
    await expectUntouched(context, token);
  });

  it("cannot sign the user in as someone else with a text/plain form to /signin", async () => {
    const { context, attacker, token } = await signedInVictim();
    const answer = attacker.waitForResponse((response) => response.url() === `${url}/signin`);
    await attacker.goto(`${other.origin}/form-signin`);

    expect((await answer).status()).toBe(403);
    await expectUntouched(context, token);
  });

  it("cannot read the user's answers with a credentialed fetch", async () => {
    const { context, attacker, token } = await signedInVictim();
    await attacker.goto(`${other.origin}/`);
    const read = await attacker.evaluate(
      `fetch(${JSON.stringify(`${url}/welcome`)}, { credentials: "include" }).then((r) => r.text(), () => "blocked")`,
    );

    expect(read).toBe("blocked");
    await expectUntouched(context, token);
  });

  it("cannot get a preflight approved: a JSON sign-in by fetch never reaches the function", async () => {
    const { context, attacker, token } = await signedInVictim();
    await attacker.goto(`${other.origin}/`);
    const before = logged("signin").length;
    const sent = await attacker.evaluate(
      `fetch(${JSON.stringify(`${url}/signin`)}, {
        method: "POST",
        credentials: "include",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "user2", password: "password2" }),
      }).then(() => "answered", () => "blocked")`,
    );

    expect(sent).toBe("blocked");
    expect(logged("signin").length).toBe(before);
    await expectUntouched(context, token);
  });

  it("cannot log the user out with a no-cors fetch POST /logout: the function refuses it", async () => {
    const { context, attacker, token } = await signedInVictim();
    await attacker.goto(`${other.origin}/`);
    const before = logged("logout").length;
    await attacker.evaluate(
      `fetch(${JSON.stringify(`${url}/logout`)}, { method: "POST", mode: "no-cors", credentials: "include" })`,
    );

    await expect
      .poll(() =>
        logged("logout")
          .slice(before)
          .map((line) => line.status),
      )
      .toEqual([403]);
    await expectUntouched(context, token);
  });
});

describe("another port of localhost (the same site, so the Strict cookie is sent)", () => {
  it("cannot log the user out with a link either", async () => {
    const { context, attacker, token } = await signedInVictim();
    await attacker.goto(`${other.origin.replace("127.0.0.1", "localhost")}/link`);
    const answer = attacker.waitForResponse((response) => response.url() === `${url}/logout`);
    await attacker.click("#attack");

    expect((await answer).status()).toBe(403);
    await expectUntouched(context, token);
  });
});
