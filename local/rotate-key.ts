/**
 * `npm run rotate-key`: rotates the signing key of a running `npm start` by calling RotateSecret
 * on its local endpoint (http://127.0.0.1:${LOCAL_SECRETS_PORT:-4566}), which runs the project's
 * four rotation steps. With `--aws`, asks AWS Secrets Manager instead (the deployed schedule's
 * rotation function does the work). Options: --stage <stage> (default dev), --secret-id <id>, --aws.
 *
 * `--revoke-previous` (a leaked key): rotates, waits for the rotation to finish, then takes the old
 * key out of AWSPREVIOUS, so it stops verifying once every container re-reads the key
 * (SECRET_CACHE_SECONDS). Every session whose token it signed ends at its next request, so the
 * command asks first; `--yes` skips the question, and without a terminal it is required.
 */
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { type Config, loadConfig } from "../shared/core/config.ts";
import { LOCAL_ROTATION_LAMBDA_ARN } from "./rotate-secret.ts";
import { useLocalEndpointUnless } from "./sdk-env.ts";

/** How long --revoke-previous waits for AWS to finish the rotation it started. */
const ROTATION_WAIT_MS = 120_000;

async function stageHolder(client: SecretsManagerClient, secretId: string, stage: string) {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];
}

async function confirmed(config: Config, yes: boolean | undefined): Promise<boolean> {
  const warning =
    `Every session whose token the current key signed ends at its next request, once containers re-read ` +
    `the key (within SECRET_CACHE_SECONDS=${config.secretCacheSeconds}; while Secrets Manager fails, up to ` +
    `SECRET_STALE_SECONDS=${config.secretStaleSeconds} later). Those users sign in again.`;
  console.log(warning);
  if (yes) return true;
  if (!process.stdin.isTTY) throw new Error("--revoke-previous ends sessions: run it in a terminal, or add --yes");
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question("Revoke the current key? [y/N] ")).trim());
  } finally {
    prompt.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: "string" },
      "secret-id": { type: "string" },
      aws: { type: "boolean" },
      "revoke-previous": { type: "boolean" },
      yes: { type: "boolean" },
    },
  });
  const config = loadConfig({ ...process.env, ...(values.stage ? { STAGE: values.stage } : {}) });
  const secretId = values["secret-id"] ?? config.signingKeySecretId;
  const revoke = values["revoke-previous"] === true;
  if (revoke && !(await confirmed(config, values.yes))) {
    console.log("nothing changed");
    return;
  }
  const local = useLocalEndpointUnless(values.aws);
  const client = new SecretsManagerClient({ maxAttempts: revoke ? 3 : 1 });
  try {
    const leaked = revoke ? await stageHolder(client, secretId, "AWSCURRENT") : undefined;
    const result = await client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        // AWS keeps the function the stack configured; the local endpoint records the same name.
        ...(local ? { RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN } : {}),
      }),
    );
    if (!revoke) {
      console.log(`${local ? "rotated" : "started rotating"} ${secretId}: new version ${result.VersionId}`);
      console.log("tokens signed before stay valid; running functions sign with the new key once their cache expires");
      return;
    }
    // AWS rotates asynchronously: AWSPREVIOUS reaches the leaked version when the new one is current.
    const deadline = Date.now() + ROTATION_WAIT_MS;
    while ((await stageHolder(client, secretId, "AWSCURRENT")) !== result.VersionId) {
      if (Date.now() > deadline) throw new Error(`rotation of ${secretId} did not finish; nothing revoked, run again`);
      await sleep(2000);
    }
    const previous = await stageHolder(client, secretId, "AWSPREVIOUS");
    if (previous !== undefined && previous === leaked) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: "AWSPREVIOUS",
          RemoveFromVersionId: previous,
        }),
      );
    }
    console.log(`rotated ${secretId}: new version ${result.VersionId}; revoked version ${leaked} (no AWSPREVIOUS)`);
  } finally {
    client.destroy();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  console.error(`rotate-key: ${message}`);
  process.exit(1);
});
