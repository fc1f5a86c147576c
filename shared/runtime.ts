/**
 * What one Lambda container keeps between invocations: its configuration, one Secrets Manager
 * client and the signing keys it reads (cached), one DynamoDB client and the session store on it.
 * Only handlers import this module; everything else in shared/ takes its dependencies as arguments.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defaultProvider } from "./aws-credentials.ts";
import { loadConfig } from "./config.ts";
import { type CacheOptions, secretVersionReader } from "./secret-cache.ts";
import type { SessionDeps } from "./session.ts";
import { SessionTables } from "./session-tables.ts";
import { SigningKeyRing } from "./signing-key.ts";

/** Throws ConfigError, naming the variable, at cold start: a bad setting never serves a request. */
export const config = loadConfig(process.env);

// The endpoint comes from the SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER when it is set
// (locally); there is no other local-versus-cloud switch. Credentials come from the environment,
// as Lambda provides them: the same in the bundle and under tsx (see aws-credentials.ts).
const client = new SecretsManagerClient({
  credentials: defaultProvider(),
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: config.secretTimeoutMs },
});

function cacheOptions(name: string): CacheOptions {
  return {
    name,
    maxAgeMs: config.secretCacheSeconds * 1000,
    staleMs: config.secretStaleSeconds * 1000,
    retryAfterFailureMs: config.secretRetryMs,
  };
}

/** The signing keys, from the signing-key secret (AWSCURRENT signs, AWSPREVIOUS still verifies). */
const signingKeys = new SigningKeyRing(
  secretVersionReader(client, config.signingKeySecretId, config.secretTimeoutMs),
  cacheOptions("signing-key"),
);

// The same for DynamoDB (AWS_ENDPOINT_URL_DYNAMODB locally). Each call is bounded by
// DYNAMODB_TIMEOUT_MS; a second attempt fits inside it when the first fails fast (throttling).
const dynamodb = new DynamoDBClient({
  credentials: defaultProvider(),
  maxAttempts: 2,
  requestHandler: {
    connectionTimeout: Math.min(1000, config.dynamodbTimeoutMs),
    requestTimeout: config.dynamodbTimeoutMs,
  },
});

/** What the handlers hand to the session use cases, built once per container. */
export const deps: SessionDeps = { signingKeys, store: new SessionTables(dynamodb, config), policy: config };

/** The clock of the handlers, in epoch seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The clock of the handlers that record when something happened, in epoch milliseconds. */
export function nowMs(): number {
  return Date.now();
}
