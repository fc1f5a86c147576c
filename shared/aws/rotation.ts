/**
 * The Secrets Manager rotation contract for the signing key: four steps, each called with the
 * secret, the new version's id (ClientRequestToken) and the step's name. Used by the rotation
 * Lambda in AWS and by the local endpoint's RotateSecret alike, with the client passed in.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { RotationError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { KID_PATTERN, newSigningKeyJwk } from "../core/signing-key.ts";
import { issueSessionToken, type TokenPolicy, verifySessionToken, wholeSecond } from "../core/token.ts";
import { SigningKeyRing } from "./key-ring.ts";

/** The four steps Secrets Manager calls, in its order; parseRotationEvent refuses any other. */
export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
/** One of ROTATION_STEPS. */
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the rotation function. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** Checks the shape of an invocation event; throws RotationError naming the bad field. */
export function parseRotationEvent(event: unknown): RotationEvent {
  const fields = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  for (const name of ["SecretId", "ClientRequestToken", "Step"]) {
    if (typeof fields[name] !== "string" || fields[name] === "") {
      throw new RotationError(`rotation event has no ${name}`);
    }
  }
  if (!(ROTATION_STEPS as readonly unknown[]).includes(fields.Step)) {
    throw new RotationError(`rotation event has an unknown Step "${String(fields.Step).slice(0, 40)}"`);
  }
  return fields as unknown as RotationEvent;
}

// The probe token of testSecret goes through the service's own signing and verification code.
const PROBE_POLICY: TokenPolicy = {
  tokenTtlSeconds: 60,
  refreshWindowSeconds: 10,
  sessionMaxSeconds: 60,
  issuer: "serverless-jwt-auth/rotation",
  audience: "serverless-jwt-auth/rotation",
};
const PROBE_USER = "rotation-probe";
const PROBE_CACHE = { name: "pending signing key", maxAgeMs: 60_000, staleMs: 0, retryAfterFailureMs: 0 };

/**
 * Runs one step of the rotation of the signing-key secret. Follows the AWS contract: throws
 * RotationError when rotation is not enabled or the version has no stage for rotation, returns
 * without change when the version is already AWSCURRENT, and each step may be repeated.
 * SDK errors pass through, so Secrets Manager retries the step.
 */
export async function rotateSigningKey(client: SecretsManagerClient, event: RotationEvent): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const metadata = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (metadata.RotationEnabled !== true) throw new RotationError(`rotation is not enabled for ${secretId}`);
  const versions = metadata.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined) throw new RotationError(`version ${token} has no stage for rotation of ${secretId}`);
  if (stages.includes("AWSCURRENT")) {
    log("info", "rotation step skipped: version is already AWSCURRENT", { step, secretId, version: token });
    return;
  }
  if (!stages.includes("AWSPENDING")) {
    throw new RotationError(`version ${token} is not AWSPENDING for rotation of ${secretId}`);
  }
  switch (step) {
    case "createSecret":
      await createSecret(client, secretId, token);
      break;
    case "setSecret":
      // The key is self-contained: no other system holds a copy to update.
      break;
    case "testSecret":
      await testSecret(client, secretId, token);
      break;
    case "finishSecret":
      await finishSecret(client, secretId, token, versions);
      break;
  }
  log("info", "rotation step done", { step, secretId, version: token });
}

async function createSecret(client: SecretsManagerClient, secretId: string, token: string): Promise<void> {
  // The token becomes the version id and so every new token's kid: one the service would refuse
  // must not become AWSCURRENT. AWS accepts any 32 to 64 characters; we take the visible ASCII.
  if (!KID_PATTERN.test(token)) {
    throw new RotationError(
      `ClientRequestToken "${token.slice(0, 64)}" cannot be a key id: use 32 to 64 visible ASCII characters ` +
        "(a UUID, as the AWS CLI and SDKs send by default); remove its AWSPENDING label and rotate again",
    );
  }
  // Fails (and the rotation with it) when there is no current key to rotate from.
  await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: "AWSCURRENT" }));
  try {
    await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: "AWSPENDING" }));
    return; // a repeated createSecret: the pending key exists and must not change
  } catch (err) {
    if ((err as { name?: unknown }).name !== "ResourceNotFoundException") throw err;
  }
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: newSigningKeyJwk(),
      VersionStages: ["AWSPENDING"],
    }),
  );
}

async function testSecret(client: SecretsManagerClient, secretId: string, token: string): Promise<void> {
  const pending = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: "AWSPENDING" }),
  );
  const version = { versionId: pending.VersionId ?? token, value: pending.SecretString ?? "" };
  // The probe goes through the HTTP functions' own path: a key ring whose current key is the
  // pending version (same parsing, import and kid check), signing, then checkSession.
  const ring = new SigningKeyRing(async (stage) => (stage === "AWSCURRENT" ? version : undefined), PROBE_CACHE);
  const now = Date.now();
  try {
    const identity = { user: PROBE_USER, sid: "rotation-probe-session", authTime: wholeSecond(now) };
    const probe = await issueSessionToken(await ring.current(), identity, now, PROBE_POLICY, "rotation-probe");
    // What checkSession does by default: the ring finds the key by kid, then the token checks.
    const session = await verifySessionToken(probe.token, ring, now, PROBE_POLICY);
    if (session.user !== PROBE_USER) throw new Error("the probe token verified for another user");
  } catch (err) {
    throw new RotationError(`pending version ${token} of ${secretId} is not a usable key`, { cause: err });
  }
}

async function finishSecret(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  versions: Record<string, string[]>,
): Promise<void> {
  const current = Object.entries(versions).find(([, stages]) => stages.includes("AWSCURRENT"))?.[0];
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: "AWSCURRENT",
      MoveToVersionId: token,
      ...(current === undefined ? {} : { RemoveFromVersionId: current }),
    }),
  );
}
