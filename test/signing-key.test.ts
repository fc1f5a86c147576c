/**
 * The signing key ring and its cache, with an injected clock, reading the local Secrets Manager
 * endpoint through the real SDK client: how often the store is read, and which kids are known.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { localClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { secretVersionReader } from "../shared/secret-cache.ts";
import { newSigningKeyJwk, SigningKeyRing, UNKNOWN_KID_RETRY_MS } from "../shared/signing-key.ts";

const SECRET = "test/signing-key";
let secrets: LocalSecretsManager;
let client: SecretsManagerClient;
let clock: number;
let ring: SigningKeyRing;

beforeAll(async () => {
  secrets = await new LocalSecretsManager({ port: 0 }).start();
  client = localClient(secrets.url);
  secrets.store.createSecret({ Name: SECRET, SecretString: newSigningKeyJwk() });
});

afterAll(async () => {
  client?.destroy();
  await secrets?.stop();
});

beforeEach(() => {
  clock = 1_000_000;
  ring = new SigningKeyRing(secretVersionReader(client, SECRET, 2000), {
    name: "signing-key",
    maxAgeMs: 300_000,
    staleMs: 60_000,
    retryAfterFailureMs: 1000,
    now: () => clock,
  });
  secrets.setFault({ kind: "none" });
  secrets.resetCalls();
});

const reads = () => secrets.count("GetSecretValue");
const currentVersion = () => String(secrets.store.getSecretValue({ SecretId: SECRET }).VersionId);
const rotate = () => secrets.store.putSecretValue({ SecretId: SECRET, SecretString: newSigningKeyJwk() });

describe("reads of the store", () => {
  it("reads the key once for 1,000 warm calls within the cache age", async () => {
    for (let i = 0; i < 1000; i++) await ring.current();
    expect(reads()).toBe(1);
  });

  it("reads it again once the cache age has passed", async () => {
    await ring.current();
    clock += 300_000;
    await ring.current();
    await ring.current();
    expect(reads()).toBe(2);
  });

  it("shares one read among 50 concurrent cold requests", async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, () => ring.current()));
    expect(reads()).toBe(1);
    expect(new Set(keys.map((key) => key.key)).size).toBe(1);
  });

  it("names the key by the secret's version id and imports it as a non-extractable HMAC key", async () => {
    const key = await ring.current();
    expect(key.kid).toBe(currentVersion());
    expect(key.key).toMatchObject({ type: "secret", extractable: false, algorithm: { name: "HMAC" } });
  });
});

describe("kids", () => {
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

  it("catches up once on an unknown kid, and a flood of made-up kids reads no more", async () => {
    await ring.current();
    const flood = Array.from({ length: 200 }, (_, i) =>
      ring.forKid(`00000000-0000-0000-0000-${String(i).padStart(12, "0")}`),
    );
    expect(await Promise.all(flood)).toEqual(Array(200).fill(undefined));
    expect(reads()).toBe(3); // the first read, then AWSCURRENT and AWSPREVIOUS once
    clock += UNKNOWN_KID_RETRY_MS - 1;
    await ring.forKid("11111111-0000-0000-0000-000000000000");
    expect(reads()).toBe(3);
  });

  it("finds a key rotated in after it cached the old one, by catching up", async () => {
    const before = await ring.current();
    rotate();
    const after = await ring.forKid(currentVersion());
    expect(after?.kid).toBe(currentVersion());
    expect(after?.kid).not.toBe(before.kid);
  });

  it("keeps verifying the previous key after a rotation, and forgets it after a second one", async () => {
    const first = await ring.current();
    rotate();
    clock += 300_000;
    expect((await ring.current()).kid).toBe(currentVersion());
    expect((await ring.forKid(first.kid))?.kid).toBe(first.kid);

    rotate();
    clock += 300_000;
    await ring.current();
    clock += UNKNOWN_KID_RETRY_MS;
    await expect(ring.forKid(first.kid)).resolves.toBeUndefined();
  });
});

describe("failures", () => {
  it("serves the cached key while the store fails, until the stale window ends", async () => {
    const key = await ring.current();
    secrets.setFault({ kind: "error", type: "AccessDeniedException" });
    clock += 300_000;
    await expect(ring.current()).resolves.toBe(key);
    clock += 59_000;
    await expect(ring.current()).resolves.toBe(key);
    clock += 1_000;
    await expect(ring.current()).rejects.toMatchObject({ statusCode: 503, code: "service_unavailable" });
  });

  it("does not retry a failed read for a second, then recovers", async () => {
    secrets.setFault({ kind: "throttle" });
    await expect(ring.current()).rejects.toMatchObject({ statusCode: 503 });
    const afterFailure = reads();
    secrets.setFault({ kind: "none" });
    await expect(ring.current()).rejects.toMatchObject({ statusCode: 503 });
    expect(reads()).toBe(afterFailure);
    clock += 1000;
    await expect(ring.current()).resolves.toMatchObject({ kid: currentVersion() });
  });

  it("refuses a malformed key with 503 and never uses it", async () => {
    const good = await ring.current();
    secrets.store.putSecretValue({ SecretId: SECRET, SecretString: '{"kty":"oct","k":"c2hvcnQ"}' });
    clock += 300_000 + 60_000;
    const failure = await ring.current().catch((err: unknown) => err);
    expect(failure).toMatchObject({ statusCode: 503, cause: { name: "UnusableSecretError" } });
    expect(String((failure as Error).cause)).not.toContain("c2hvcnQ");
    rotate();
    clock += 1000;
    expect((await ring.current()).kid).not.toBe(good.kid);
  });
});
