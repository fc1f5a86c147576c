/**
 * A container whose local Secrets Manager rotates as `npm start`'s does, and `npm run rotate-key`
 * against it: for the rotation tests that drive the real handlers in this process.
 */
import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { LOCAL_ROTATION_LAMBDA_ARN, rotateSecretOperation } from "../../local/rotate-secret.ts";
import { localClient } from "../../local/sdk-env.ts";
import { loadContainer } from "./in-process.ts";
import { KEY_SECRET } from "./tokens.ts";

export type Container = Awaited<ReturnType<typeof loadContainer>>;

/** Loads the container with RotateSecret on its local endpoint, as `npm start` has it. */
export async function loadRotatingContainer(env: Record<string, string>): Promise<Container> {
  let url = "";
  const container = await loadContainer(env, { RotateSecret: rotateSecretOperation((): string => url) });
  url = container.secrets.url;
  return container;
}

/** `npm run rotate-key`: RotateSecret on the endpoint; resolves the new AWSCURRENT version id. */
export async function rotate(service: Container): Promise<string> {
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
