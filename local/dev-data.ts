/**
 * What `npm start` (and the tests) create on the endpoints they use, through the SDK, when it is
 * missing: the tables (as shared/tables.json defines them for the stack), the demo users in a new
 * users table, and a random dev signing key. Any endpoint that speaks the AWS APIs works:
 * npm start's own, LocalStack, moto or DynamoDB Local.
 */
import { readFileSync } from "node:fs";
import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from "@aws-sdk/client-dynamodb";
import { CreateSecretCommand, DescribeSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SessionTables } from "../shared/aws/session-tables.ts";
import type { Config } from "../shared/core/config.ts";
import { newSigningKeyJwk } from "../shared/core/signing-key.ts";

interface TableResource {
  Properties: {
    AttributeDefinitions: AttributeDefinition[];
    KeySchema: KeySchemaElement[];
    GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  };
}

const TABLES = JSON.parse(readFileSync(new URL("../shared/aws/tables.json", import.meta.url), "utf8")) as Record<
  string,
  TableResource
>;

/** The tables of serverless.yml's resources, by the names the configuration gives them. */
function tableNames(config: Config): Record<string, string> {
  return {
    UsersTable: config.usersTable,
    SessionsTable: config.sessionsTable,
    SigninAttemptsTable: config.signinAttemptsTable,
    PasskeysTable: config.passkeysTable,
    PasskeyChallengesTable: config.passkeyChallengesTable,
  };
}

/** The scrypt hashes of the tutorial's two demo users (their passwords are in the README). */
export function demoUsers(): Record<string, string> {
  return JSON.parse(readFileSync(new URL("./demo-users.json", import.meta.url), "utf8")) as Record<string, string>;
}

/** The names of a table's global secondary indexes, or undefined when there is no such table. */
async function tableIndexes(client: DynamoDBClient, name: string): Promise<string[] | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    return (Table?.GlobalSecondaryIndexes ?? []).map((index) => String(index.IndexName));
  } catch (err) {
    if ((err as { name?: unknown }).name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

/** Creates whichever table is missing, on demand, with TTL where the stack has it; returns their names. */
export async function ensureTables(client: DynamoDBClient, config: Config): Promise<string[]> {
  const created: string[] = [];
  for (const [logicalId, name] of Object.entries(tableNames(config))) {
    const definition = TABLES[logicalId];
    if (definition === undefined) throw new Error(`shared/tables.json has no ${logicalId}`);
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, TimeToLiveSpecification } = definition.Properties;
    const indexes = await tableIndexes(client, name);
    const wanted = (GlobalSecondaryIndexes ?? []).map((index) => String(index.IndexName));
    if (indexes !== undefined && wanted.every((index) => indexes.includes(index))) continue;
    if (indexes !== undefined) {
      // A sessions table from before its index (dynalite cannot add one): sessions are worth
      // less than a working start, so it is made anew and local sign-ins start over.
      if (logicalId !== "SessionsTable") throw new Error(`table ${name} lacks an index of shared/aws/tables.json`);
      await client.send(new DeleteTableCommand({ TableName: name }));
      await waitUntilTableNotExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
    }
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions,
        KeySchema,
        BillingMode: "PAY_PER_REQUEST",
        ...(GlobalSecondaryIndexes === undefined ? {} : { GlobalSecondaryIndexes }),
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
    if (TimeToLiveSpecification !== undefined) {
      // dynalite has no UpdateTimeToLive; nothing relies on TTL deleting items, so go on without it.
      await client
        .send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification }))
        .catch(() => undefined);
    }
    created.push(name);
  }
  return created;
}

/** Adds the demo users that are missing from the users table; returns their names. */
export async function seedDemoUsers(client: DynamoDBClient, config: Config, now = Date.now()): Promise<string[]> {
  const store = new SessionTables(client, config);
  const added: string[] = [];
  for (const [name, hash] of Object.entries(demoUsers())) {
    if (await store.addUser(name, hash, now)) added.push(name);
  }
  return added;
}

/** Creates the signing-key secret with a random key when it is missing; returns whether it did. */
export async function ensureDevKey(client: SecretsManagerClient, config: Config): Promise<boolean> {
  try {
    await client.send(new DescribeSecretCommand({ SecretId: config.signingKeySecretId }));
    return false;
  } catch (err) {
    if ((err as { name?: unknown }).name !== "ResourceNotFoundException") throw err;
  }
  await client.send(
    new CreateSecretCommand({
      Name: config.signingKeySecretId,
      Description: "dev signing key (HS256 JWK)",
      SecretString: newSigningKeyJwk(),
    }),
  );
  return true;
}

/**
 * Everything a first start needs, on whichever endpoints the clients use: the key, the tables,
 * and the demo users in a users table created just now (a removed demo user stays removed).
 * Returns one line per thing created.
 */
export async function ensureDevData(
  clients: { secrets: SecretsManagerClient; dynamodb: DynamoDBClient },
  config: Config,
): Promise<string[]> {
  const done: string[] = [];
  if (await ensureDevKey(clients.secrets, config)) done.push(`created secret ${config.signingKeySecretId}`);
  const tables = await ensureTables(clients.dynamodb, config);
  for (const name of tables) done.push(`created table ${name}`);
  if (tables.includes(config.usersTable)) {
    for (const name of await seedDemoUsers(clients.dynamodb, config)) done.push(`added demo user ${name}`);
  }
  return done;
}
