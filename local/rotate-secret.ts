/**
 * RotateSecret for the local endpoint: records the rotation settings, then runs the project's
 * rotation logic (shared/rotation.ts) through its four steps against this same endpoint with the
 * real SDK client, as Secrets Manager invokes the rotation Lambda in AWS. Unlike AWS, it answers
 * only once the rotation is over, so `npm run rotate-key` can report the outcome.
 */
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ROTATION_STEPS, rotateSigningKey } from "../shared/aws/rotation.ts";
import { localClient } from "./sdk-env.ts";
import { AwsError, clientRequestToken, REGION, type SecretStore } from "./secrets-data.ts";
import type { AsyncOperation } from "./secrets-endpoint.ts";

/** What RotateSecret records when asked without a function: the one `serverless.yml` deploys. */
export const LOCAL_ROTATION_LAMBDA_ARN = `arn:aws:lambda:${REGION}:000000000000:function:serverless-jwt-auth-dev-rotateSigningKey`;

/** Builds the RotateSecret operation for an endpoint reachable at `endpointUrl()`. */
export function rotateSecretOperation(endpointUrl: () => string): AsyncOperation {
  return async (store: SecretStore, input: Record<string, unknown>) => {
    const secretId = typeof input.SecretId === "string" ? input.SecretId : "";
    const client = localClient(endpointUrl());
    try {
      const token = clientRequestToken(input) ?? randomUUID();
      const unfinished = store.unfinishedRotation(secretId);
      if (unfinished !== undefined) {
        // AWS retries the unfinished rotation and refuses to start another one.
        await runSteps(client, secretId, unfinished).catch(() => undefined);
        throw new AwsError(
          "InvalidRequestException",
          "A previous rotation isn't complete. That rotation will be reattempted.",
        );
      }
      const result = store.beginRotation(input, input.RotateImmediately === false ? undefined : token);
      if (input.RotateImmediately === false) return result;
      try {
        await runSteps(client, secretId, token);
      } catch (err) {
        throw new AwsError(
          "InternalServiceError",
          `Rotation of ${secretId} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : "unknown error"}`,
          500,
        );
      }
      return result;
    } finally {
      client.destroy();
    }
  };
}

async function runSteps(client: SecretsManagerClient, secretId: string, token: string): Promise<void> {
  for (const step of ROTATION_STEPS) {
    await rotateSigningKey(client, { SecretId: secretId, ClientRequestToken: token, Step: step });
  }
}
