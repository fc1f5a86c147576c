/**
 * The yardstick for load time: the least a key-using function needs, jose's verify and a Secrets
 * Manager client created at module scope, bundled with the options of serverless.yml.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { jwtVerify } from "jose";

export const client = new SecretsManagerClient({});
export { GetSecretValueCommand, jwtVerify };
