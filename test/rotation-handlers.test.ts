/**
 * The promise of rotation to users, with SECRET_CACHE_SECONDS=0 (the store read at every request, so a rotation is seen at once, as
 * it is once SECRET_CACHE_SECONDS has passed): a rotation logs nobody out, a token older than
 * AWSPREVIOUS is refused, a revoked key ends its sessions: the real handlers in this process driven by a
 * cookie jar as a browser would drive them, the real SDK reading a local Secrets Manager endpoint
 * that rotates as `npm start`'s does. How often made-up kids may read the store is counted, with a
 * moved clock, in signing-key.test.ts.
 */
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "./support/command.ts";
import { type Container, loadRotatingContainer, rotate } from "./support/rotating.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let everyRequest: Container;

beforeAll(async () => {
  everyRequest = await loadRotatingContainer({ SECRET_CACHE_SECONDS: "0" });
});

afterAll(async () => {
  await everyRequest?.stop();
});

describe("a session across rotations, with SECRET_CACHE_SECONDS=0", () => {
  it("keeps a signed-in session working after a rotation", async () => {
    const browser = everyRequest.client();
    await browser.signIn("user1", "password1");

    await rotate(everyRequest);
    const reply = await browser.request("GET", "/welcome");

    expect(reply.status).toBe(200);
    expect(reply.text).toBe("Welcome user1!");
    expect(reply.setCookies).toEqual([]);
  });

  it("refreshes a token of the old key inside the window with a token signed by the new key", async () => {
    const browser = everyRequest.client();
    await browser.setToken(
      await liveToken(everyRequest.store, devKey(everyRequest.secrets), { now: nowSeconds() - 280 }),
    );

    const next = await rotate(everyRequest);
    const reply = await browser.request("POST", "/refresh");

    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      username: "user1",
      expiresAt: expect.any(Number),
      expiresAtIso: expect.any(String),
      expiresInSeconds: 300,
      refreshInSeconds: 270,
    });
    expect(reply.setCookies).toEqual([expect.stringMatching(/^token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300;/)]);
    expect(decodeProtectedHeader(String(await browser.token())).kid).toBe(next);
    expect((await browser.request("GET", "/welcome")).text).toBe("Welcome user1!");
  });

  it("refuses a token from before the first rotation once a second rotation has been read", async () => {
    const browser = everyRequest.client();
    await browser.setToken(await mintToken(devKey(everyRequest.secrets)));
    await rotate(everyRequest);
    const afterOne = await browser.request("GET", "/welcome");

    await rotate(everyRequest);
    const afterTwo = await browser.request("GET", "/welcome");

    expect(afterOne.status).toBe(200);
    expect(afterTwo.status).toBe(401);
    expect(afterTwo.json()).toEqual({ error: "invalid_token", message: expect.any(String) });
  });
});

describe("a leaked key revoked with `npm run rotate-key -- --revoke-previous --yes`, SECRET_CACHE_SECONDS=0", () => {
  it("ends the session its token carries at the next request, and new sign-ins work", async () => {
    const browser = everyRequest.client();
    await browser.signIn("user1", "password1");
    expect((await browser.request("GET", "/welcome")).status).toBe(200);

    const command = runCommand(
      ["local/rotate-key.ts", "--revoke-previous", "--yes"],
      { LOCAL_SECRETS_PORT: String(everyRequest.secrets.port) },
      "",
    );
    expect(await command.exited).toBe(0);
    const refused = await browser.request("GET", "/welcome");
    const again = everyRequest.client();

    expect(refused.status).toBe(401);
    expect(refused.json()).toEqual({ error: "invalid_token", message: expect.any(String) });
    expect((await again.signIn("user1", "password1")).status).toBe(200);
    expect((await again.request("GET", "/welcome")).text).toBe("Welcome user1!");
  });
});
