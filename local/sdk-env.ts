/** How the local tools reach Secrets Manager: the local endpoint unless told otherwise. */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DEFAULT_PORT } from "./secrets-endpoint.ts";

/**
 * The environment that points the AWS SDK at a local endpoint, with placeholder credentials and
 * without the SDK's Node 20 deprecation notice (the functions run on Node 24 in AWS).
 */
export function localSdkEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "local",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/**
 * For a command-line tool: unless `--aws` was given or AWS_ENDPOINT_URL_SECRETS_MANAGER is set,
 * points this process's SDK at the endpoint of a running `npm start`. Returns whether it did.
 */
export function useLocalEndpointUnless(aws: boolean | undefined): boolean {
  if (aws || process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER) return false;
  const port = process.env.LOCAL_SECRETS_PORT || String(DEFAULT_PORT);
  Object.assign(process.env, localSdkEnvironment(`http://127.0.0.1:${port}`));
  return true;
}

/** An SDK client for a local endpoint: placeholder credentials, one attempt per call. */
export function localClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}
