/**
 * What one Lambda container keeps between invocations: its configuration, one Secrets Manager
 * client, the signing keys and the user directory, each read once and cached. Only handlers
 * import this module; everything else in shared/ takes its dependencies as arguments.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defaultProvider } from "./aws-credentials.ts";
import { loadConfig } from "./config.ts";
import { UnusableSecretError } from "./errors.ts";
import { log } from "./log.ts";
import { parseUserDirectory, type UserDirectory } from "./passwords.ts";
import { CachedSecret, type CacheOptions, secretVersionReader } from "./secret-cache.ts";
import type { SessionDeps } from "./session.ts";
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

const readUsers = secretVersionReader(client, config.usersSecretId, config.secretTimeoutMs);

/** The user directory, from the users secret. */
const users = new CachedSecret<UserDirectory>(async () => {
  const version = await readUsers("AWSCURRENT");
  if (version === undefined) throw new UnusableSecretError("users secret has no AWSCURRENT version");
  const { directory, skipped } = parseUserDirectory(version.value);
  if (skipped > 0) log("warn", "users secret has entries that were skipped", { skipped });
  return directory;
}, cacheOptions("users"));

/** What the handlers hand to the session use cases, built once per container. */
export const deps: SessionDeps = { signingKeys, users, policy: config };

/** The clock of the handlers, in epoch seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
