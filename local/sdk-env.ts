/** How the local tools reach Secrets Manager and DynamoDB: the local endpoints unless told otherwise. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DEFAULT_PORT as DEFAULT_DYNAMODB_PORT } from "./dynamodb-endpoint.ts";
import { DEFAULT_PORT } from "./secrets-endpoint.ts";

/**
 * The environment that points the AWS SDK at local endpoints (Secrets Manager, and DynamoDB when
 * given), with placeholder credentials and without the SDK's Node 20 deprecation notice (the
 * functions run on Node 24 in AWS).
 */
export function localSdkEnvironment(endpoint: string, dynamodbEndpoint?: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    ...(dynamodbEndpoint === undefined ? {} : { AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint }),
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "local",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/**
 * For a command-line tool: unless `--aws` was given, points this process's SDK at the endpoints
 * of a running `npm start` (LOCAL_SECRETS_PORT, LOCAL_DYNAMODB_PORT), each unless its
 * AWS_ENDPOINT_URL_* variable is already set. Returns whether Secrets Manager is npm start's.
 */
export function useLocalEndpointUnless(aws: boolean | undefined): boolean {
  if (aws) return false;
  const ours = !process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const secrets =
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ||
    `http://127.0.0.1:${process.env.LOCAL_SECRETS_PORT || String(DEFAULT_PORT)}`;
  const dynamodb =
    process.env.AWS_ENDPOINT_URL_DYNAMODB ||
    `http://127.0.0.1:${process.env.LOCAL_DYNAMODB_PORT || String(DEFAULT_DYNAMODB_PORT)}`;
  Object.assign(process.env, localSdkEnvironment(secrets, dynamodb));
  return ours;
}

const LOCAL = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 };

/** An SDK client for a local endpoint: placeholder credentials, one attempt per call. */
export function localClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint, ...LOCAL });
}

/** A DynamoDB client for a local endpoint: placeholder credentials, one attempt per call. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, ...LOCAL });
}
