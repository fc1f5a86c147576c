/**
 * The key ring across rotations, with an injected clock, reading the local Secrets Manager
 * endpoint through the real SDK; reads are counted at the endpoint.
 */
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ensureDevSecrets } from "../local/dev-secrets.ts";
import { localClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/config.ts";
import { secretVersionReader } from "../shared/secret-cache.ts";
import { newSigningKeyJwk, SigningKeyRing, UNKNOWN_KID_RETRY_MS } from "../shared/signing-key.ts";
import { KEY_SECRET } from "./support/tokens.ts";

const CACHE_MS = 60_000;

let secrets: LocalSecretsManager;
let client: SecretsManagerClient;
let now: number;
let ring: SigningKeyRing;

beforeEach(async () => {
  await secrets?.stop();
  client?.destroy();
  secrets = await new LocalSecretsManager({ port: 0 }).start();
  ensureDevSecrets(secrets.store, loadConfig({ STAGE: "dev" }));
  client = localClient(secrets.url);
  now = 1_000_000;
  ring = new SigningKeyRing(secretVersionReader(client, KEY_SECRET, 5000), {
    name: "signing-key",
    maxAgeMs: CACHE_MS,
    staleMs: 0,
    retryAfterFailureMs: 1000,
    now: () => now,
  });
});

afterAll(async () => {
  client?.destroy();
  await secrets?.stop();
});

/** A rotation as finishSecret leaves it: a new AWSCURRENT, the old one AWSPREVIOUS. */
function rotate(): string {
  return String(secrets.store.putSecretValue({ SecretId: KEY_SECRET, SecretString: newSigningKeyJwk() }).VersionId);
}

// Shaped like a version id (32-64 characters), so the ring looks it up rather than refusing it unread.
const madeUpKid = () => randomUUID();
const reads = () => secrets.count("GetSecretValue");

describe("SigningKeyRing across rotations", () => {
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

  it("refuses the key of two rotations back once the cache age has passed", async () => {
    const oldest = (await ring.current()).kid;
    rotate();
    const latest = rotate();
    now += CACHE_MS;

    expect((await ring.current()).kid).toBe(latest);
    expect(await ring.forKid(oldest)).toBeUndefined();
  });

  it("reads the store at most twice per UNKNOWN_KID_RETRY_MS however many unknown kids arrive", async () => {
    await ring.current();
    secrets.resetCalls();

    const first = await Promise.all(Array.from({ length: 50 }, () => ring.forKid(madeUpKid())));
    for (let i = 0; i < 50; i++) await ring.forKid(madeUpKid());
    const burst = reads();
    now += UNKNOWN_KID_RETRY_MS;
    await ring.forKid(madeUpKid());

    expect(first.every((key) => key === undefined)).toBe(true);
    expect(burst).toBe(2);
    expect(reads()).toBe(4);
  });

  it("reads only AWSCURRENT, once per cache age, while nothing rotates", async () => {
    const kid = (await ring.current()).kid;
    for (let i = 0; i < 20; i++) await ring.forKid(kid);
    now += CACHE_MS;
    await ring.forKid(kid);

    expect(reads()).toBe(2);
  });
});
