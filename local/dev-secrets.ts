/** First-start content of the local secret store: a random dev signing key and the demo users. */
import { readFileSync } from "node:fs";
import type { Config } from "../shared/config.ts";
import { newSigningKeyJwk } from "../shared/signing-key.ts";
import type { SecretStore } from "./secrets-data.ts";

/** The scrypt hashes of the tutorial's two demo users (their passwords are in the README). */
export function demoUsers(): string {
  return readFileSync(new URL("./demo-users.json", import.meta.url), "utf8");
}

/** Creates whichever of the two secrets is missing; returns the names it created. */
export function ensureDevSecrets(store: SecretStore, config: Config): string[] {
  const created: string[] = [];
  if (!store.has(config.signingKeySecretId)) {
    store.createSecret({
      Name: config.signingKeySecretId,
      Description: "dev signing key (HS256 JWK)",
      SecretString: newSigningKeyJwk(),
    });
    created.push(config.signingKeySecretId);
  }
  if (!store.has(config.usersSecretId)) {
    store.createSecret({ Name: config.usersSecretId, Description: "dev users", SecretString: demoUsers() });
    created.push(config.usersSecretId);
  }
  return created;
}
