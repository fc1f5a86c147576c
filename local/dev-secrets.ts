/** First-start content of the local secret store, written to it directly: a random dev signing key. */
import type { Config } from "../shared/config.ts";
import { newSigningKeyJwk } from "../shared/signing-key.ts";
import type { SecretStore } from "./secrets-data.ts";

/** Creates the signing-key secret if it is missing; returns the names it created. */
export function ensureDevSecrets(store: SecretStore, config: Config): string[] {
  if (store.has(config.signingKeySecretId)) return [];
  store.createSecret({
    Name: config.signingKeySecretId,
    Description: "dev signing key (HS256 JWK)",
    SecretString: newSigningKeyJwk(),
  });
  return [config.signingKeySecretId];
}
