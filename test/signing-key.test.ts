/**
 * The signing key ring and its cache, with an injected clock, reading the local Secrets Manager
 * endpoint through the real SDK client: which kids it knows across rotations, and how often it
 * reads the store (counted at the endpoint). What the store's failures do to a request is in
 * faults.test.ts; the fetch counts of a whole container are in secret-fetches.test.ts.
 */
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { localClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { SigningKeyRing, UNKNOWN_KID_RETRY_MS } from "../shared/aws/key-ring.ts";
import { secretVersionReader } from "../shared/aws/secret-cache.ts";
import { loadConfig } from "../shared/core/config.ts";
import { newSigningKeyJwk } from "../shared/core/signing-key.ts";
import { ensureDevKeyOn } from "./support/service.ts";
import { KEY_SECRET } from "./support/tokens.ts";

const CACHE_MS = 60_000;

let secrets: LocalSecretsManager;
let client: SecretsManagerClient;
let now: number;
let ring: SigningKeyRing;

beforeAll(async () => {
  secrets = await new LocalSecretsManager({ port: 0 }).start();
  await ensureDevKeyOn(secrets, loadConfig({ STAGE: "dev" }));
  client = localClient(secrets.url);
});

afterAll(async () => {
  client?.destroy();
  await secrets?.stop();
});

// A new ring is a new container; the rotations earlier tests made are history it never saw.
beforeEach(() => {
  now = 1_000_000;
  ring = new SigningKeyRing(secretVersionReader(client, KEY_SECRET, 5000), {
    name: "signing-key",
    maxAgeMs: CACHE_MS,
    staleMs: 0,
    retryAfterFailureMs: 1000,
    now: () => now,
  });
  secrets.resetCalls();
});

/** A rotation as finishSecret leaves it: a new AWSCURRENT, the old one AWSPREVIOUS. */
function rotate(): string {
  return String(secrets.store.putSecretValue({ SecretId: KEY_SECRET, SecretString: newSigningKeyJwk() }).VersionId);
}

const currentVersion = () => String(secrets.store.getSecretValue({ SecretId: KEY_SECRET }).VersionId);
// Shaped like a version id (32-64 characters), so the ring looks it up rather than refusing it unread.
const madeUpKid = () => randomUUID();
const reads = () => secrets.count("GetSecretValue");

describe("reads of the store", () => {
  it("names the key by the secret's version id and imports it as a non-extractable HMAC key", async () => {
    const key = await ring.current();

    expect(key.kid).toBe(currentVersion());
    expect(key.key).toMatchObject({ type: "secret", extractable: false, algorithm: { name: "HMAC" } });
  });

  it("reads only AWSCURRENT, once per cache age, while nothing rotates", async () => {
    const kid = (await ring.current()).kid;
    for (let i = 0; i < 20; i++) await ring.forKid(kid);
    now += CACHE_MS - 1;
    await ring.forKid(kid);
    const withinCacheAge = reads();
    now += 1;
    await ring.forKid(kid);

    expect(withinCacheAge).toBe(1);
    expect(reads()).toBe(2);
  });
});

describe("kids", () => {
  it("refuses to sign with a current version whose id cannot be a kid, which no token could name", async () => {
    // AWS takes any 32 to 64 characters as a ClientRequestToken, so `put-secret-value` by hand can
    // make such a version AWSCURRENT without the rotation's checks.
    secrets.store.putSecretValue({
      SecretId: KEY_SECRET,
      ClientRequestToken: "manual key of 2026-11-29, by ops",
      SecretString: newSigningKeyJwk(),
    });
    try {
      await expect(ring.current()).rejects.toMatchObject({
        code: "service_unavailable",
        cause: { name: "UnusableSecretError" },
      });
    } finally {
      rotate();
    }
  });

  it("refuses a kid of the wrong shape without reading the store", async () => {
    await ring.current();
    const wrongShapes = [
      "../../etc/passwd",
      "k".repeat(31),
      "k".repeat(65),
      "",
      "a b",
      `${"k".repeat(31)} b`,
      "é".repeat(40),
    ];
    for (const kid of wrongShapes) await expect(ring.forKid(kid)).resolves.toBeUndefined();
    expect(reads()).toBe(1);
  });

  it("reads the store twice per UNKNOWN_KID_RETRY_MS however many unknown kids arrive", async () => {
    await ring.current();
    secrets.resetCalls();

    const concurrent = await Promise.all(Array.from({ length: 200 }, () => ring.forKid(madeUpKid())));
    const sequential: unknown[] = [];
    for (let i = 0; i < 50; i++) sequential.push(await ring.forKid(madeUpKid()));
    const burst = reads();
    now += UNKNOWN_KID_RETRY_MS - 1;
    await ring.forKid(madeUpKid());
    const beforeRetry = reads();
    now += 1;
    await ring.forKid(madeUpKid());

    expect(concurrent).toEqual(Array(200).fill(undefined));
    expect(sequential).toEqual(Array(50).fill(undefined));
    expect(burst).toBe(2); // AWSCURRENT and AWSPREVIOUS, once
    expect(beforeRetry).toBe(2);
    expect(reads()).toBe(4);
  });
});

describe("rotations", () => {
  it("finds a new key at once, by one catch-up, when a token names it before the cache age", async () => {
    const old = (await ring.current()).kid;
    const next = rotate();
    secrets.resetCalls();

    const found = await ring.forKid(next);

    expect(found?.kid).toBe(next);
    expect((await ring.forKid(old))?.kid).toBe(old);
    expect((await ring.current()).kid).toBe(next);
    expect(reads()).toBe(2);
  });

  it("lets concurrent requests naming a new key share one catch-up, and finds it for all", async () => {
    await ring.current();
    const next = rotate();
    secrets.resetCalls();

    const found = await Promise.all(Array.from({ length: 8 }, () => ring.forKid(next)));

    expect(found.map((key) => key?.kid)).toEqual(Array(8).fill(next));
    expect(reads()).toBe(2);
  });

  it("keeps accepting the previous key after a rotation noticed at the cache age, even with no catch-up left", async () => {
    const old = (await ring.current()).kid;
    await ring.forKid(madeUpKid()); // spends the catch-up of this UNKNOWN_KID_RETRY_MS
    const next = rotate();
    now += CACHE_MS;
    secrets.resetCalls();

    expect((await ring.current()).kid).toBe(next);
    expect((await ring.forKid(old))?.kid).toBe(old);
    expect(reads()).toBe(2);
  });

  it("forgets a previous key taken out of AWSPREVIOUS (a revoked leak) at the next cache age", async () => {
    const leaked = (await ring.current()).kid;
    rotate();
    now += CACHE_MS;
    expect((await ring.forKid(leaked))?.kid).toBe(leaked);
    secrets.store.updateSecretVersionStage({
      SecretId: KEY_SECRET,
      VersionStage: "AWSPREVIOUS",
      RemoveFromVersionId: leaked,
    });

    now += CACHE_MS - 1;
    const withinCacheAge = await ring.forKid(leaked);
    now += 1;

    expect(withinCacheAge?.kid).toBe(leaked);
    expect(await ring.forKid(leaked)).toBeUndefined();
    now += UNKNOWN_KID_RETRY_MS;
    expect(await ring.forKid(leaked)).toBeUndefined();
  });

  it("refuses the key of two rotations back once the cache age has passed", async () => {
    const oldest = (await ring.current()).kid;
    rotate();
    const latest = rotate();
    now += CACHE_MS;

    expect((await ring.current()).kid).toBe(latest);
    expect(await ring.forKid(oldest)).toBeUndefined();
  });
});
