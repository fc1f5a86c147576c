/**
 * The one place that wires the AWS adapters into the core's use cases for the functions: what one
 * Lambda container keeps between invocations (its configuration, one Secrets Manager client and
 * the signing keys it reads, one DynamoDB client and the session store on it, the clock). Only
 * handlers import this module; everything else in shared/ takes its dependencies as arguments.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defaultProvider } from "./aws/aws-credentials.ts";
import { SigningKeyRing } from "./aws/key-ring.ts";
import { PasskeyTables } from "./aws/passkey-tables.ts";
import { type CacheOptions, secretVersionReader } from "./aws/secret-cache.ts";
import { SessionTables } from "./aws/session-tables.ts";
import type { AccountDeps } from "./core/account.ts";
import { loadConfig } from "./core/config.ts";
import type { PasskeyDeps } from "./core/passkeys.ts";
import { passwords } from "./core/passwords.ts";
import type { WebAuthnVerifier } from "./core/ports.ts";

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
export const signingKeys = new SigningKeyRing(
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

/** What the handlers hand to the session and account use cases, built once per container. */
export const deps: AccountDeps = {
  keys: signingKeys,
  store: new SessionTables(dynamodb, config),
  passwords,
  clock: () => Date.now(),
  policy: config,
};

/**
 * What the passkey functions hand to the passkey use cases: the session's, with the passkey tables
 * and the WebAuthn verifier they bring (shared/http/webauthn.ts), so that no other bundle carries
 * the WebAuthn library.
 */
export function passkeyDeps(webauthn: WebAuthnVerifier): PasskeyDeps {
  const store = new PasskeyTables(dynamodb, config);
  return { keys: signingKeys, store, passkeys: store, passwords, webauthn, clock: () => Date.now(), policy: config };
}
