/**
 * Passkeys from the page, in a real Chromium with a virtual authenticator (CDP WebAuthn domain:
 * CTAP2, internal, resident keys, user verification) against the real service and the real
 * @simplewebauthn/server. The page is http://localhost:<port>, the RP ID `localhost`.
 */
import { generateKeyPairSync } from "node:crypto";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import demoUsers from "../../local/demo-users.json" with { type: "json" };
import { freePort } from "../../local/free-port.ts";
import { localDynamoClient } from "../../local/sdk-env.ts";
import { PasskeyTables } from "../../shared/aws/passkey-tables.ts";
import { launchChromium } from "../support/browser.ts";
import { runCommand } from "../support/command.ts";
import { type Service, startService } from "../support/service.ts";

let service: Service;
let browser: Browser;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://localhost:${port}`;
  [service, browser] = await Promise.all([startService({ port, env: { WEBAUTHN_ORIGINS: url } }), launchChromium()]);
});

// The first call of each function loads its bundle under serverless-offline: give answers time.
vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

interface Device {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  readonly errors: string[];
}

/**
 * A fresh browser profile with the page open and a platform authenticator that verifies its user.
 * The virtual authenticator answers an autofill request at once, so unless `autofill` is asked
 * for, the page sees a browser without it and passkeys are used from the button.
 */
async function device(options: { at?: string; autofill?: boolean } = {}): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (options.autofill !== true) {
    await page.addInitScript("PublicKeyCredential.isConditionalMediationAvailable = async () => false;");
  }
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  await page.goto(`${options.at ?? url}/`);
  return { context, page, cdp, authenticatorId, errors };
}

async function signInWithPassword(page: Page, username = "user1"): Promise<void> {
  await page.fill("#username", username);
  await page.fill("#password", "password1");
  await page.click("#signin-button");
  await expect.poll(() => page.isVisible("#signed-in")).toBe(true);
  expect([await page.textContent("#who"), await page.textContent("#message")]).toEqual([username, ""]);
}

/** Signs in with the button; the page shows who is signed in. */
async function signInWithPasskey(page: Page): Promise<void> {
  await page.click("#passkey-signin");
  await expect.poll(() => page.isVisible("#signed-in")).toBe(true);
  expect(await page.textContent("#who")).toBe("user1");
}

async function addPasskey(page: Page): Promise<void> {
  const created = page.waitForResponse(
    (response) => response.url().endsWith("/passkeys") && response.request().method() === "POST",
  );
  await page.click("#add-passkey");
  expect((await created).status()).toBe(201);
  await expect.poll(() => page.textContent("#message")).toBe("Passkey added.");
}

async function logOut(page: Page): Promise<void> {
  await page.click("#logout");
  await expect.poll(() => page.textContent("#message")).toBe("Signed out.");
}

async function token(context: BrowserContext) {
  return (await context.cookies(url)).find((cookie) => cookie.name === "token");
}

const passkeyNames = (page: Page) => page.$$eval("#passkey-list li", (items) => items.length);

describe("passkeys in the page", () => {
  it("registers a passkey, signs in with it, lists it, removes it, and is refused with it afterwards", async () => {
    const { context, page, cdp, authenticatorId, errors } = await device();
    await signInWithPassword(page);
    await expect.poll(() => page.isVisible("#no-passkeys")).toBe(true);
    await addPasskey(page);

    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });
    expect(Buffer.from(String(credentials[0]?.userHandle), "base64").toString("utf8")).not.toContain("user1");
    await expect.poll(() => passkeyNames(page)).toBe(1);

    await logOut(page);
    await signInWithPasskey(page);
    expect(await token(context)).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await expect.poll(() => page.textContent("#passkey-list li small")).toMatch(/last used/);

    await page.click("#passkey-list li button");
    await expect.poll(() => page.textContent("#message")).toBe("Passkey removed.");
    await expect.poll(() => passkeyNames(page)).toBe(0);

    await logOut(page);
    await page.click("#passkey-signin");
    await expect.poll(() => page.textContent("#message")).toBe("That passkey was not accepted.");
    expect(await page.isVisible("#signed-out")).toBe(true);
    expect(await token(context)).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("signs in from the username field's autofill (conditional mediation), with no click", async () => {
    const { context, page } = await device({ autofill: true });
    await signInWithPassword(page);
    await addPasskey(page);
    // Signed out, the page asks for a passkey in the username field's autofill; the virtual
    // authenticator picks its one credential at once, as a user choosing it would.
    const autofilled = page.waitForResponse((response) => response.url().endsWith("/signin/passkey"));
    await page.click("#logout");

    expect((await autofilled).status()).toBe(200);
    await expect.poll(() => page.isVisible("#signed-in")).toBe(true);
    expect(await page.getAttribute("#username", "autocomplete")).toBe("username webauthn");
    expect(await token(context)).toBeDefined();
    await context.close();
  });

  it("refuses an authentication response replayed", async () => {
    const { context, page } = await device();
    await signInWithPassword(page);
    await addPasskey(page);
    await logOut(page);
    const sent = page.waitForRequest((request) => request.url().endsWith("/signin/passkey"));
    await signInWithPasskey(page);
    const body = (await sent).postData();

    const replay = await fetch(`${url}/signin/passkey`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: "invalid_passkey" });
    expect(replay.headers.get("set-cookie")).toBeNull();
    await context.close();
  });

  it("refuses another authenticator: one without the credential, and one with its id but another key", async () => {
    const first = await device();
    await signInWithPassword(first.page);
    await addPasskey(first.page);
    const [credential] = (await first.cdp.send("WebAuthn.getCredentials", { authenticatorId: first.authenticatorId }))
      .credentials;
    await first.context.close();

    const second = await device();
    await second.page.click("#passkey-signin");
    await expect.poll(() => second.page.textContent("#message")).toBe("No passkey was used.");
    expect(await token(second.context)).toBeUndefined();

    // The same credential id and user handle, but a key the service never saw.
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await second.cdp.send("WebAuthn.addCredential", {
      authenticatorId: second.authenticatorId,
      credential: {
        credentialId: String(credential?.credentialId),
        isResidentCredential: true,
        rpId: "localhost",
        userHandle: String(credential?.userHandle),
        privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
        signCount: 100,
      },
    });
    await second.page.click("#passkey-signin");
    await expect.poll(() => second.page.textContent("#message")).toBe("That passkey was not accepted.");
    expect(await token(second.context)).toBeUndefined();
    await second.context.close();
  });

  it("cannot be used by a page on another origin: the browser refuses the RP ID localhost on 127.0.0.1", async () => {
    const { context, page } = await device();
    await signInWithPassword(page);
    await addPasskey(page);
    await logOut(page);
    const posted: string[] = [];
    page.on("request", (request) => {
      if (request.url() === `${service.baseUrl}/signin/passkey`) posted.push(request.url());
    });
    await page.goto(`${service.baseUrl}/`);
    await page.click("#passkey-signin");

    await expect.poll(() => page.textContent("#message")).toBe("No passkey was used.");
    expect(posted).toEqual([]);
    expect(await page.isVisible("#signed-out")).toBe(true);
    await context.close();
  });

  it("lets operators list and remove passkeys with npm run users; removing a user removes theirs", async () => {
    const user = `pk-${process.pid}`;
    await service.store.addUser(user, demoUsers.user1, Date.now());
    const users = async (...args: string[]) => {
      const env = {
        LOCAL_DYNAMODB_PORT: String(service.dynamodb.port),
        LOCAL_SECRETS_PORT: String(service.secrets.port),
      };
      const cli = runCommand(["local/users-cli.ts", ...args], env, "");
      return { code: await cli.exited, output: cli.output() };
    };
    const passkeys = new PasskeyTables(localDynamoClient(service.dynamodb.url), service.config);
    const { context, page } = await device();
    await signInWithPassword(page, user);
    await addPasskey(page);
    const [first] = await passkeys.listPasskeys(user);

    const listed = await users("passkeys", user);
    expect([listed.code, listed.output]).toEqual([0, expect.stringContaining(`${first?.id}\tPasskey\tcreated`)]);
    expect((await users("remove-passkey", "user2", String(first?.id))).code).toBe(1);
    const removed = await users("remove-passkey", user, String(first?.id));
    expect([removed.code, removed.output]).toEqual([0, expect.stringContaining("removed passkey")]);
    expect(await passkeys.listPasskeys(user)).toEqual([]);

    await addPasskey(page);
    expect(await passkeys.listPasskeys(user)).toHaveLength(1);
    const gone = await users("remove", user);
    expect([gone.code, gone.output]).toEqual([0, expect.stringContaining("and their passkeys")]);
    expect(await passkeys.listPasskeys(user)).toEqual([]);
    await context.close();
  });
});
