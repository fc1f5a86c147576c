/**
 * The DynamoDB adapter of the passkey store: passkeys by credential id (a GSI by username lists a
 * user's), challenges by value, and the WebAuthn user handle on the user's item. It extends the
 * session store, whose tables a passkey sign-in also uses. Times are epoch milliseconds in the
 * core; a challenge's expiresAt (read by TTL) is stored in seconds.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Config } from "../core/config.ts";
import type { ChallengeRecord, PasskeyRecord, PasskeyStore } from "../core/ports.ts";
import { type Item, isConditionFailure, n, num, SessionTables, s, str } from "./session-tables.ts";

type Tables = ConstructorParameters<typeof SessionTables>[1] & Pick<Config, "passkeysTable" | "passkeyChallengesTable">;

/** The passkeys table's index by username (shared/aws/tables.json). */
export const BY_USERNAME = "byUsername";

/** An item with a missing or malformed attribute is treated as absent: it grants nothing. */
function toPasskey(item: Item | undefined): PasskeyRecord | undefined {
  if (item === undefined) return undefined;
  const [id, username, publicKey, name] = [
    str(item, "id"),
    str(item, "username"),
    str(item, "publicKey"),
    str(item, "name"),
  ];
  const [signCount, createdAt] = [num(item, "signCount"), num(item, "createdAt")];
  if (id === undefined || username === undefined || publicKey === undefined || name === undefined) return undefined;
  if (signCount === undefined || createdAt === undefined) return undefined;
  const transports = item.transports?.L?.flatMap((value) => (typeof value.S === "string" ? [value.S] : [])) ?? [];
  return { id, username, publicKey, signCount, transports, name, createdAt, lastUsedAt: num(item, "lastUsedAt") };
}

function toChallenge(item: Item | undefined): ChallengeRecord | undefined {
  if (item === undefined) return undefined;
  const [challenge, purpose, expiresAt] = [str(item, "challenge"), str(item, "purpose"), num(item, "expiresAt")];
  if (challenge === undefined || expiresAt === undefined) return undefined;
  if (purpose !== "registration" && purpose !== "authentication") return undefined;
  const [username, sid] = [str(item, "username"), str(item, "sid")];
  return {
    challenge,
    purpose,
    ...(username === undefined ? {} : { username }),
    ...(sid === undefined ? {} : { sid }),
    expiresAt: expiresAt * 1000,
  };
}

/** The session store plus passkeys and their challenges; every failure is AppError `service_unavailable`. */
export class PasskeyTables extends SessionTables implements PasskeyStore {
  constructor(
    client: DynamoDBClient,
    protected override readonly tables: Tables,
  ) {
    super(client, tables);
  }

  async getPasskey(id: string): Promise<PasskeyRecord | undefined> {
    const output = await this.send<{ Item?: Item }>(
      new GetItemCommand({ TableName: this.tables.passkeysTable, Key: { id: s(id) }, ConsistentRead: true }),
    );
    return toPasskey(output.Item);
  }

  async listPasskeys(username: string): Promise<PasskeyRecord[]> {
    const records: PasskeyRecord[] = [];
    let start: Item | undefined;
    do {
      const page: { Items?: Item[]; LastEvaluatedKey?: Item } = await this.send(
        new QueryCommand({
          TableName: this.tables.passkeysTable,
          IndexName: BY_USERNAME,
          KeyConditionExpression: "username = :username",
          ExpressionAttributeValues: { ":username": s(username) },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const record = toPasskey(item);
        if (record !== undefined) records.push(record);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return records;
  }

  putPasskey(record: PasskeyRecord): Promise<boolean> {
    return this.conditional(
      new PutItemCommand({
        TableName: this.tables.passkeysTable,
        Item: {
          id: s(record.id),
          username: s(record.username),
          publicKey: s(record.publicKey),
          signCount: n(record.signCount),
          transports: { L: record.transports.map(s) },
          name: s(record.name),
          createdAt: n(record.createdAt),
          ...(record.lastUsedAt === undefined ? {} : { lastUsedAt: n(record.lastUsedAt) }),
        },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
  }

  recordUse(record: PasskeyRecord, signCount: number, at: number): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tables.passkeysTable,
        Key: { id: s(record.id) },
        UpdateExpression: "SET signCount = :count, lastUsedAt = :at",
        // Two sign-ins racing with one count: only one is recorded; a removed passkey stays removed.
        ConditionExpression: "username = :username AND signCount = :read",
        ExpressionAttributeValues: {
          ":count": n(signCount),
          ":at": n(at),
          ":username": s(record.username),
          ":read": n(record.signCount),
        },
      }),
    );
  }

  deletePasskey(id: string, username: string): Promise<boolean> {
    return this.conditional(
      new DeleteItemCommand({
        TableName: this.tables.passkeysTable,
        Key: { id: s(id) },
        ConditionExpression: "username = :username",
        ExpressionAttributeValues: { ":username": s(username) },
      }),
    );
  }

  async userHandle(username: string, candidate: string): Promise<string | undefined> {
    try {
      const output = await this.send<{ Attributes?: Item }>(
        new UpdateItemCommand({
          TableName: this.tables.usersTable,
          Key: { username: s(username) },
          UpdateExpression: "SET webauthnUserId = if_not_exists(webauthnUserId, :id)",
          ConditionExpression: "attribute_exists(username)",
          ExpressionAttributeValues: { ":id": s(candidate) },
          ReturnValues: "UPDATED_NEW",
        }),
        isConditionFailure,
      );
      return output.Attributes === undefined ? undefined : str(output.Attributes, "webauthnUserId");
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async putChallenge(record: ChallengeRecord): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.tables.passkeyChallengesTable,
        Item: {
          challenge: s(record.challenge),
          purpose: s(record.purpose),
          ...(record.username === undefined ? {} : { username: s(record.username) }),
          ...(record.sid === undefined ? {} : { sid: s(record.sid) }),
          expiresAt: n(Math.ceil(record.expiresAt / 1000)),
        },
      }),
    );
  }

  async takeChallenge(challenge: string): Promise<ChallengeRecord | undefined> {
    // A conditional delete that returns what it deleted: of two concurrent answers, one gets it.
    return toChallenge(
      await this.deleteReturning(
        new DeleteItemCommand({
          TableName: this.tables.passkeyChallengesTable,
          Key: { challenge: s(challenge) },
          ConditionExpression: "attribute_exists(challenge)",
          ReturnValues: "ALL_OLD",
        }),
      ),
    );
  }
}
