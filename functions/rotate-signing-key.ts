/**
 * The signing key's Secrets Manager rotation function, invoked by Secrets Manager (not HTTP) with
 * {SecretId, ClientRequestToken, Step}. Resolves when the step is done; throws on failure so
 * Secrets Manager retries it. Logs the step and the error, never a key.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseRotationEvent, rotateSigningKey } from "../shared/aws/rotation.ts";
import { describeError, log } from "../shared/core/log.ts";

const client = new SecretsManagerClient({});

export const handler = async (event: unknown): Promise<void> => {
  try {
    await rotateSigningKey(client, parseRotationEvent(event));
  } catch (err) {
    const fields = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
    log("error", "rotation step failed", {
      step: typeof fields.Step === "string" ? fields.Step.slice(0, 40) : undefined,
      secretId: typeof fields.SecretId === "string" ? fields.SecretId.slice(0, 512) : undefined,
      error: describeError(err),
    });
    throw err;
  }
};
