/**
 * `npm run rotate-key`: rotates the signing key of a running `npm start` by calling RotateSecret
 * on its local endpoint (http://127.0.0.1:${LOCAL_SECRETS_PORT:-4566}), which runs the project's
 * four rotation steps. With `--aws`, asks AWS Secrets Manager instead (the deployed schedule's
 * rotation function does the work). Options: --stage <stage> (default dev), --secret-id <id>, --aws.
 */
import { parseArgs } from "node:util";
import { RotateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadConfig } from "../shared/core/config.ts";
import { LOCAL_ROTATION_LAMBDA_ARN } from "./rotate-secret.ts";
import { useLocalEndpointUnless } from "./sdk-env.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { stage: { type: "string" }, "secret-id": { type: "string" }, aws: { type: "boolean" } },
  });
  const config = loadConfig({ ...process.env, ...(values.stage ? { STAGE: values.stage } : {}) });
  const secretId = values["secret-id"] ?? config.signingKeySecretId;
  const local = useLocalEndpointUnless(values.aws);
  const client = new SecretsManagerClient({ maxAttempts: 1 });
  const result = await client.send(
    new RotateSecretCommand({
      SecretId: secretId,
      // AWS keeps the function the stack configured; the local endpoint records the same name.
      ...(local ? { RotationLambdaARN: LOCAL_ROTATION_LAMBDA_ARN } : {}),
    }),
  );
  console.log(`${local ? "rotated" : "started rotating"} ${secretId}: new version ${result.VersionId}`);
  console.log("tokens signed before stay valid; running functions sign with the new key once their cache expires");
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  console.error(`rotate-key: ${message}`);
  process.exit(1);
});
