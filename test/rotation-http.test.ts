/**
 * The promise of rotation to users, over HTTP against the real handlers under serverless-offline:
 * a rotation logs nobody out, a token older than AWSPREVIOUS is refused, a container that has not
 * seen a rotation catches up on its own, and made-up kids do not multiply reads of the store.
 */

import { randomBytes } from "node:crypto";
import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ROTATION_LAMBDA_ARN, rotateSecretOperation } from "../local/rotate-secret.ts";
import { localClient } from "../local/sdk-env.ts";
import { Client } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { devKey, KEY_SECRET, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

/** Starts the service with RotateSecret on its local endpoint, as `npm start` has it. */
function startRotatingService(env: Record<string, string>): Promise<Service> {
  let service: Service | undefined;
  return startService({
    env,
    extraOperations: { RotateSecret: rotateSecretOperation((): string => service?.secrets.url ?? "") },
  }).then((started) => {
    service = started;
    return started;
  });
}

/** `npm run rotate-key`: RotateSecret on the endpoint; resolves the new AWSCURRENT version id. */
async function rotate(service: Service): Promise<string> {
  const client = localClient(service.secrets.url);
  try {
    const result = await client.send(
      new RotateSecretCommand({ SecretId: KEY_SECRET, RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN }),
    );
    return String(result.VersionId);
  } finally {
    client.destroy();
  }
}

/** Lets the handlers' SECRET_CACHE_SECONDS=1 pass, so their next request reads the store again. */
const pastCacheAge = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe("a session across rotations, with SECRET_CACHE_SECONDS=1", () => {
  let service: Service;

  beforeAll(async () => {
    service = await startRotatingService({ SECRET_CACHE_SECONDS: "1" });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("keeps a signed-in session working after a rotation", async () => {
    const browser = new Client(service.baseUrl);
    await browser.signIn("user1", "password1");

    await rotate(service);
    await pastCacheAge();
    const reply = await browser.request("GET", "/welcome");

    expect(reply.status).toBe(200);
    expect(reply.text).toBe("Welcome user1!");
    expect(reply.setCookies).toEqual([]);
  });

  it("refreshes a token of the old key inside the window with a token signed by the new key", async () => {
    const browser = new Client(service.baseUrl);
    await browser.setToken(await liveToken(service.store, devKey(service.secrets), { now: nowSeconds() - 280 }));

    const next = await rotate(service);
    await pastCacheAge();
    const reply = await browser.request("POST", "/refresh");

    expect(reply.status).toBe(200);
    expect(reply.json().username).toBe("user1");
    expect(reply.setCookies).toHaveLength(1);
    expect(decodeProtectedHeader(String(await browser.token())).kid).toBe(next);
    expect((await browser.request("GET", "/welcome")).text).toBe("Welcome user1!");
  });

  it("refuses a token from before the first rotation once a second rotation has passed the cache age", async () => {
    const browser = new Client(service.baseUrl);
    await browser.setToken(await mintToken(devKey(service.secrets)));
    await rotate(service);
    await pastCacheAge();
    const afterOne = await browser.request("GET", "/welcome");

    await rotate(service);
    await pastCacheAge();
    const afterTwo = await browser.request("GET", "/welcome");

    expect(afterOne.status).toBe(200);
    expect(afterTwo.status).toBe(401);
    expect(afterTwo.json()).toEqual({ error: "invalid_token", message: expect.any(String) });
  });
});

describe("a container that has not seen a rotation, with the default SECRET_CACHE_SECONDS", () => {
  let service: Service;

  beforeAll(async () => {
    service = await startRotatingService({});
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("accepts a token signed with the new key by reading the store once more", async () => {
    const browser = new Client(service.baseUrl);
    await browser.signIn("user1", "password1");
    expect((await browser.request("GET", "/welcome")).status).toBe(200); // the container caches the old key

    await rotate(service);
    const fresh = new Client(service.baseUrl);
    await fresh.setToken(await mintToken(devKey(service.secrets)));
    service.secrets.resetCalls();
    const withNewKey = await fresh.request("GET", "/welcome");
    const withOldKey = await browser.request("GET", "/welcome");

    expect(withNewKey.status).toBe(200);
    expect(withNewKey.text).toBe("Welcome user1!");
    expect(withOldKey.text).toBe("Welcome user1!");
    // One catch-up reads AWSCURRENT and AWSPREVIOUS; the old key's token needs no read at all.
    expect(service.secrets.count("GetSecretValue")).toBeLessThanOrEqual(2);
  });

  it("answers a flood of tokens with made-up kids with 401 and a bounded number of reads", async () => {
    const key = devKey(service.secrets);
    const browser = new Client(service.baseUrl);
    await browser.setToken(await mintToken(key));
    expect((await browser.request("GET", "/welcome")).status).toBe(200);
    service.secrets.resetCalls();

    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const attacker = new Client(service.baseUrl);
      await attacker.setToken(await mintToken(key, { header: { kid: randomBytes(12).toString("base64url") } }));
      statuses.push((await attacker.request("GET", "/welcome")).status);
    }

    expect(statuses).toEqual(Array(30).fill(401));
    // Without the limit this would be two reads per token (60). With it, two per
    // UNKNOWN_KID_RETRY_MS (10 s); a few windows leave room for a slow machine.
    expect(service.secrets.count("GetSecretValue")).toBeLessThanOrEqual(6);
  });
});
