/**
 * The rotation contract of the signing key, step by step, against the local Secrets Manager
 * endpoint with the real SDK client, and RotateSecret as the local endpoint runs it.
 */
import { randomUUID } from "node:crypto";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_ROTATION_LAMBDA_ARN, rotateSecretOperation } from "../local/rotate-secret.ts";
import { localClient, localSdkEnvironment } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { SigningKeyRing } from "../shared/aws/key-ring.ts";
import { parseRotationEvent, type RotationStep, rotateSigningKey } from "../shared/aws/rotation.ts";
import { secretVersionReader } from "../shared/aws/secret-cache.ts";
import { loadConfig } from "../shared/core/config.ts";
import { RotationError } from "../shared/core/errors.ts";
import { issueSessionToken, verifySessionToken, wholeSecond } from "../shared/core/token.ts";
import { newContainerEnvironment } from "./support/in-process.ts";
import { ensureDevKeyOn } from "./support/service.ts";
import { KEY_SECRET } from "./support/tokens.ts";

let secrets: LocalSecretsManager;
let client: SecretsManagerClient;

beforeEach(async () => {
  await secrets?.stop();
  client?.destroy();
  const local: LocalSecretsManager = new LocalSecretsManager({
    port: 0,
    extraOperations: { RotateSecret: rotateSecretOperation((): string => local.url) },
  });
  secrets = await local.start();
  await ensureDevKeyOn(secrets, loadConfig({ STAGE: "dev" }));
  client = localClient(secrets.url);
});

afterAll(async () => {
  client?.destroy();
  await secrets?.stop();
});

/** What Secrets Manager does before it calls createSecret: settings, and an empty AWSPENDING version. */
function beginRotation(token: string = randomUUID()): string {
  secrets.store.beginRotation({ SecretId: KEY_SECRET, RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN }, token);
  return token;
}

const step = (Step: RotationStep, token: string) =>
  rotateSigningKey(client, { SecretId: KEY_SECRET, ClientRequestToken: token, Step });

async function stages(): Promise<Record<string, string[]>> {
  return (await client.send(new DescribeSecretCommand({ SecretId: KEY_SECRET }))).VersionIdsToStages ?? {};
}

async function pendingValue(token: string): Promise<string | undefined> {
  const read = { SecretId: KEY_SECRET, VersionId: token, VersionStage: "AWSPENDING" };
  return (await client.send(new GetSecretValueCommand(read))).SecretString;
}

function currentVersion(): string {
  return String(secrets.store.getSecretValue({ SecretId: KEY_SECRET }).VersionId);
}

describe("createSecret", () => {
  it("stores a new random 32-byte HS256 JWK as AWSPENDING under the request token", async () => {
    const current = currentVersion();
    const token = beginRotation();

    await step("createSecret", token);

    const jwk = JSON.parse(String(await pendingValue(token)));
    expect(Object.keys(jwk).sort()).toEqual(["alg", "k", "kty"]);
    expect(jwk).toMatchObject({ kty: "oct", alg: "HS256" });
    expect(Buffer.from(jwk.k, "base64url")).toHaveLength(32);
    expect(await stages()).toEqual({ [current]: ["AWSCURRENT"], [token]: ["AWSPENDING"] });
  });

  it("keeps the pending key when repeated with the same token", async () => {
    const token = beginRotation();
    await step("createSecret", token);
    const first = await pendingValue(token);

    await step("createSecret", token);

    expect(await pendingValue(token)).toBe(first);
    expect(Object.keys(await stages())).toHaveLength(2);
  });

  it("creates a different key on each rotation", async () => {
    const first = beginRotation();
    await step("createSecret", first);
    const firstValue = await pendingValue(first);
    secrets.store.updateSecretVersionStage({
      SecretId: KEY_SECRET,
      VersionStage: "AWSPENDING",
      RemoveFromVersionId: first,
    });
    const second = beginRotation();

    await step("createSecret", second);

    expect(await pendingValue(second)).not.toBe(firstValue);
  });
});

// AWS takes any ClientRequestToken of 32 to 64 characters and makes it the version id, so the kid.
const ODD_BUT_USABLE_TOKEN = "manual.rotation-2026-11-29T00:00:00Z";
const TOKEN_NO_KID_CAN_BE = "manual rotation of 2026-11-29, by ops";

describe("request tokens", () => {
  it("refuses at createSecret a token that cannot be a kid, and writes no pending key", async () => {
    const current = currentVersion();
    const token = beginRotation(TOKEN_NO_KID_CAN_BE);

    const failure = step("createSecret", token);

    await expect(failure).rejects.toThrow(RotationError);
    await expect(failure).rejects.toThrow(`ClientRequestToken "${token}" cannot be a key id`);
    await expect(pendingValue(token)).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(currentVersion()).toBe(current);
  });

  it("fails a RotateSecret with such a token and keeps the current key", async () => {
    const current = currentVersion();
    const rotate = new RotateSecretCommand({
      SecretId: KEY_SECRET,
      ClientRequestToken: TOKEN_NO_KID_CAN_BE,
      RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN,
    });

    await expect(client.send(rotate)).rejects.toMatchObject({
      name: "InternalServiceError",
      message: expect.stringContaining("cannot be a key id"),
    });
    expect(currentVersion()).toBe(current);
  });

  it("completes a rotation with an odd token AWS accepts, whose kid the service then signs and verifies", async () => {
    const rotate = new RotateSecretCommand({
      SecretId: KEY_SECRET,
      ClientRequestToken: ODD_BUT_USABLE_TOKEN,
      RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN,
    });
    await client.send(rotate);
    const ring = new SigningKeyRing(secretVersionReader(client, KEY_SECRET, 3000), {
      name: "signing-key",
      maxAgeMs: 60_000,
      staleMs: 0,
      retryAfterFailureMs: 0,
    });
    const policy = loadConfig({ STAGE: "dev" });
    const now = Date.now();

    const issued = await issueSessionToken(
      await ring.current(),
      { user: "user1", sid: "odd-token-session-0000000", authTime: wholeSecond(now) },
      now,
      policy,
      "jti-1",
    );
    const session = await verifySessionToken(issued.token, ring, now, policy);

    expect(currentVersion()).toBe(ODD_BUT_USABLE_TOKEN);
    expect(JSON.parse(Buffer.from(String(issued.token.split(".")[0]), "base64url").toString())).toMatchObject({
      kid: ODD_BUT_USABLE_TOKEN,
    });
    expect(session.user).toBe("user1");
  });

  it.each([
    ["31", "a".repeat(31)],
    ["65", "a".repeat(65)],
  ])("refuses a token of %s characters at the endpoint, as AWS does", async (_length, token) => {
    const put = new PutSecretValueCommand({ SecretId: KEY_SECRET, ClientRequestToken: token, SecretString: "x" });

    await expect(client.send(put)).rejects.toMatchObject({ name: "ValidationException" });
  });
});

describe("setSecret", () => {
  it("changes nothing: the key is self-contained", async () => {
    const token = beginRotation();
    await step("createSecret", token);
    const before = await stages();

    await step("setSecret", token);

    expect(await stages()).toEqual(before);
  });
});

describe("testSecret", () => {
  it("accepts a pending key that signs and verifies a probe token", async () => {
    const token = beginRotation();
    await step("createSecret", token);

    await expect(step("testSecret", token)).resolves.toBeUndefined();
  });

  it.each([
    ["a key shorter than 32 bytes", JSON.stringify({ kty: "oct", k: Buffer.alloc(16, 1).toString("base64url") })],
    ["a value that is not JSON", "not json"],
    ["a JWK of another type", JSON.stringify({ kty: "RSA", k: Buffer.alloc(32, 1).toString("base64url") })],
  ])("refuses %s without quoting it", async (_name, value) => {
    const token = beginRotation();
    await client.send(
      new PutSecretValueCommand({
        SecretId: KEY_SECRET,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: ["AWSPENDING"],
      }),
    );

    const failure = step("testSecret", token);

    await expect(failure).rejects.toThrow(RotationError);
    await expect(failure).rejects.toThrow(`pending version ${token} of ${KEY_SECRET} is not a usable key`);
  });

  it("refuses a usable key whose version id the service would refuse as a kid", async () => {
    const token = beginRotation(TOKEN_NO_KID_CAN_BE);
    await client.send(
      new PutSecretValueCommand({
        SecretId: KEY_SECRET,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ kty: "oct", k: Buffer.alloc(32, 7).toString("base64url"), alg: "HS256" }),
        VersionStages: ["AWSPENDING"],
      }),
    );

    const failure = step("testSecret", token);

    await expect(failure).rejects.toThrow(`pending version ${token} of ${KEY_SECRET} is not a usable key`);
    // The key ring the HTTP functions use refuses to sign with it (shared/signing-key.ts).
    await expect(failure).rejects.toMatchObject({
      cause: { code: "service_unavailable", cause: { name: "UnusableSecretError" } },
    });
  });
});

describe("finishSecret", () => {
  it("makes the pending version AWSCURRENT and the old current AWSPREVIOUS", async () => {
    const old = currentVersion();
    const token = beginRotation();
    await step("createSecret", token);
    await step("testSecret", token);

    await step("finishSecret", token);

    expect(await stages()).toEqual({ [old]: ["AWSPREVIOUS"], [token]: ["AWSPENDING", "AWSCURRENT"] });
    expect(currentVersion()).toBe(token);
  });

  it("returns without change when the version is already AWSCURRENT", async () => {
    const token = beginRotation();
    for (const name of ["createSecret", "setSecret", "testSecret", "finishSecret"] as const) await step(name, token);
    const before = await stages();

    for (const name of ["finishSecret", "createSecret", "testSecret"] as const) await step(name, token);

    expect(await stages()).toEqual(before);
  });
});

describe("wrong steps", () => {
  it("refuses every step when rotation is not enabled for the secret", async () => {
    const token = randomUUID();
    await client.send(
      new PutSecretValueCommand({
        SecretId: KEY_SECRET,
        ClientRequestToken: token,
        SecretString: "{}",
        VersionStages: ["AWSPENDING"],
      }),
    );

    await expect(step("createSecret", token)).rejects.toThrow(`rotation is not enabled for ${KEY_SECRET}`);
  });

  it("refuses a token that names no version of the secret", async () => {
    beginRotation();
    const unknown = randomUUID();

    await expect(step("createSecret", unknown)).rejects.toThrow(`version ${unknown} has no stage for rotation`);
  });

  it("refuses a version that is staged but not AWSPENDING", async () => {
    const old = currentVersion();
    const token = beginRotation();
    for (const name of ["createSecret", "setSecret", "testSecret", "finishSecret"] as const) await step(name, token);

    await expect(step("finishSecret", old)).rejects.toThrow(`version ${old} is not AWSPENDING`);
    expect(currentVersion()).toBe(token);
  });

  it("refuses an event without a known step", () => {
    const event = { SecretId: KEY_SECRET, ClientRequestToken: randomUUID(), Step: "dropSecret" };
    expect(() => parseRotationEvent(event)).toThrow('rotation event has an unknown Step "dropSecret"');
    expect(() => parseRotationEvent({ SecretId: KEY_SECRET, Step: "createSecret" })).toThrow(
      "rotation event has no ClientRequestToken",
    );
  });
});

describe("RotateSecret on the local endpoint", () => {
  it("records the rotation settings and runs the four steps", async () => {
    const old = currentVersion();

    const result = await client.send(
      new RotateSecretCommand({
        SecretId: KEY_SECRET,
        RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );

    const metadata = await client.send(new DescribeSecretCommand({ SecretId: KEY_SECRET }));
    expect(metadata.RotationEnabled).toBe(true);
    expect(metadata.RotationLambdaARN).toBe(LOCAL_ROTATION_LAMBDA_ARN);
    expect(metadata.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });
    expect(metadata.VersionIdsToStages).toEqual({
      [old]: ["AWSPREVIOUS"],
      [String(result.VersionId)]: ["AWSPENDING", "AWSCURRENT"],
    });
  });

  it("drops the label of the version two rotations back, as AWS deprecates it", async () => {
    const first = currentVersion();
    const rotate = new RotateSecretCommand({ SecretId: KEY_SECRET, RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN });
    const second = (await client.send(rotate)).VersionId;
    const third = (await client.send(rotate)).VersionId;

    expect(await stages()).toEqual({
      [String(second)]: ["AWSPREVIOUS"],
      [String(third)]: ["AWSPENDING", "AWSCURRENT"],
    });
    expect(Object.keys(await stages())).not.toContain(first);
  });

  it("refuses a secret without a rotation function, as AWS does", async () => {
    await expect(client.send(new RotateSecretCommand({ SecretId: KEY_SECRET }))).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
  });

  it("refuses to start while a previous rotation is unfinished, and completes that one", async () => {
    const unfinished = beginRotation();
    const rotate = new RotateSecretCommand({ SecretId: KEY_SECRET, RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN });

    await expect(client.send(rotate)).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
    });
    expect(currentVersion()).toBe(unfinished);
    await expect(client.send(rotate)).resolves.toMatchObject({ VersionId: expect.any(String) });
  });
});

describe("the rotation Lambda handler", () => {
  it("runs a step against the endpoint the SDK is configured with, and throws on a wrong one", async () => {
    newContainerEnvironment(localSdkEnvironment(secrets.url));
    const { handler } = await import("../functions/rotate-signing-key.ts");
    const own = await import("../shared/core/errors.ts"); // the container's copy of the class
    const token = beginRotation();

    await handler({ SecretId: KEY_SECRET, ClientRequestToken: token, Step: "createSecret" });
    await expect(
      handler({ SecretId: KEY_SECRET, ClientRequestToken: randomUUID(), Step: "createSecret" }),
    ).rejects.toThrow(own.RotationError);

    expect(await pendingValue(token)).toEqual(expect.any(String));
  });
});
