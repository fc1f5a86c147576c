/**
 * The yardstick for load time: the least a key-using function needs, jose's verify and the AWS
 * clients the functions create at module scope (Secrets Manager, DynamoDB), bundled with the
 * options of serverless.yml.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { jwtVerify } from "jose";

export const client = new SecretsManagerClient({});
export const tables = new DynamoDBClient({});
export { GetItemCommand, GetSecretValueCommand, jwtVerify };
