/**
 * The promise of rotation to users, with the default SECRET_CACHE_SECONDS: a container that has not seen a rotation catches up
 * on its own: the real handlers in this process driven by a
 * cookie jar as a browser would drive them, the real SDK reading a local Secrets Manager endpoint
 * that rotates as `npm start`'s does. How often made-up kids may read the store is counted, with a
 * moved clock, in signing-key.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Container, loadRotatingContainer, rotate } from "./support/rotating.ts";
import { devKey, mintToken } from "./support/tokens.ts";

let cached: Container;

beforeAll(async () => {
  cached = await loadRotatingContainer({});
});

afterAll(async () => {
  await cached?.stop();
});

describe("a container that has not seen a rotation, with the default SECRET_CACHE_SECONDS", () => {
  it("accepts a token signed with the new key by reading the store once more", async () => {
    const browser = cached.client();
    await browser.signIn("user1", "password1");
    expect((await browser.request("GET", "/welcome")).status).toBe(200); // the container caches the old key

    await rotate(cached);
    const fresh = cached.client();
    await fresh.setToken(await mintToken(devKey(cached.secrets)));
    cached.secrets.resetCalls();
    const withNewKey = await fresh.request("GET", "/welcome");
    const readsForNewKey = cached.secrets.count("GetSecretValue");
    const withOldKey = await browser.request("GET", "/welcome");

    expect(withNewKey.status).toBe(200);
    expect(withNewKey.text).toBe("Welcome user1!");
    expect(withOldKey.status).toBe(200);
    expect(withOldKey.text).toBe("Welcome user1!");
    // One catch-up reads AWSCURRENT and AWSPREVIOUS; the old key's token then needs no read at all.
    expect(readsForNewKey).toBe(2);
    expect(cached.secrets.count("GetSecretValue")).toBe(2);
  });
});
