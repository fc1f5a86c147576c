/**
 * The DynamoDB adapter of the session store: users, sessions and sign-in failure counters, one
 * table each (defined once, in tables.json). Point reads and point writes only; what only the
 * operators' CLI needs (a Scan among it) is local/user-admin.ts. Times are epoch milliseconds in
 * the core; the attributes a TTL reads (expiresAt) and the token's authTime are stored in seconds.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Config } from "../core/config.ts";
import { unavailable } from "../core/errors.ts";
import type { AttemptRecord, RecordedToken, SessionRecord, SessionStore, UserRecord } from "../core/ports.ts";

export type Item = Record<string, AttributeValue>;
type Tables = Pick<Config, "usersTable" | "sessionsTable" | "signinAttemptsTable" | "dynamodbTimeoutMs">;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
/** The sessions table's index by username (tables.json), which lists a user's sessions. */
export const SESSIONS_BY_USERNAME = "by-username";

/** Epoch milliseconds to the whole seconds stored, rounded up so nothing ends early. */
const toSeconds = (ms: number): number => Math.ceil(ms / 1000);

export function str(item: Item, name: string): string | undefined {
  const value = item[name];
  return value !== undefined && "S" in value && typeof value.S === "string" ? value.S : undefined;
}

export function num(item: Item, name: string): number | undefined {
  const value = item[name];
  if (value === undefined || !("N" in value) || typeof value.N !== "string") return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** An item with a missing or malformed attribute is treated as absent: it grants nothing. */
function toUser(item: Item | undefined): UserRecord | undefined {
  if (item === undefined) return undefined;
  const username = str(item, "username");
  const passwordHash = str(item, "passwordHash");
  const sessionsValidAfter = num(item, "sessionsValidAfter");
  if (username === undefined || passwordHash === undefined || sessionsValidAfter === undefined) return undefined;
  const webauthnUserId = str(item, "webauthnUserId");
  return { username, passwordHash, sessionsValidAfter, ...(webauthnUserId === undefined ? {} : { webauthnUserId }) };
}

function toSession(item: Item | undefined): SessionRecord | undefined {
  if (item === undefined) return undefined;
  const [sid, username] = [str(item, "sid"), str(item, "username")];
  const [authTime, createdAt, expiresAt] = [num(item, "authTime"), num(item, "createdAt"), num(item, "expiresAt")];
  if (sid === undefined || username === undefined) return undefined;
  if (authTime === undefined || createdAt === undefined || expiresAt === undefined) return undefined;
  const lastActiveAt = num(item, "lastActiveAt");
  const token = toToken(item);
  if (token === null) return undefined;
  const [supersededJti, supersededAt] = [str(item, "supersededJti"), num(item, "supersededAt")];
  return {
    sid,
    username,
    authTime: authTime * 1000,
    createdAt,
    expiresAt: expiresAt * 1000,
    // Sessions recorded before handles existed have none: they are not listed, only counted.
    handle: str(item, "handle") ?? "",
    device: str(item, "device") ?? "",
    ip: str(item, "ip") ?? "",
    ...(lastActiveAt === undefined ? {} : { lastActiveAt }),
    ...(token === undefined ? {} : { token }),
    ...(supersededJti === undefined || supersededAt === undefined
      ? {}
      : { superseded: { jti: supersededJti, at: supersededAt } }),
  };
}

/** The newest token of a session item: undefined on items of earlier releases, null if malformed. */
function toToken(item: Item): RecordedToken | undefined | null {
  const jti = str(item, "tokenJti");
  if (jti === undefined) return undefined;
  const [issuedAt, expiresAt, kid] = [num(item, "tokenIat"), num(item, "tokenExp"), str(item, "tokenKid")];
  if (issuedAt === undefined || expiresAt === undefined || kid === undefined) return null;
  return { jti, issuedAt: issuedAt * 1000, expiresAt: expiresAt * 1000, kid };
}

/** The attributes of a session's newest token: its claims in whole seconds, as the JWT has them. */
function tokenAttributes(token: RecordedToken): Item {
  return {
    tokenJti: s(token.jti),
    tokenIat: n(token.issuedAt / 1000),
    tokenExp: n(token.expiresAt / 1000),
    tokenKid: s(token.kid),
  };
}

function toAttempts(item: Item | undefined): AttemptRecord | undefined {
  if (item === undefined) return undefined;
  const [failures, lockedUntil, expiresAt] = [num(item, "failures"), num(item, "lockedUntil"), num(item, "expiresAt")];
  if (failures === undefined || lockedUntil === undefined || expiresAt === undefined) return undefined;
  return { failures, lockedUntil: lockedUntil * 1000, expiresAt: expiresAt * 1000 };
}

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: unknown }).name === "ConditionalCheckFailedException";
}

/** The session store on DynamoDB; every failure of the table is AppError `service_unavailable`. */
export class SessionTables implements SessionStore {
  constructor(
    private readonly client: DynamoDBClient,
    protected readonly tables: Tables,
  ) {}

  /** Sends one command within DYNAMODB_TIMEOUT_MS; `expected` names the error the caller handles. */
  protected async send<T>(command: { input: unknown }, expected?: (err: unknown) => boolean): Promise<T> {
    try {
      return (await this.client.send(command as never, {
        abortSignal: AbortSignal.timeout(this.tables.dynamodbTimeoutMs),
      })) as T;
    } catch (err) {
      if (expected?.(err)) throw err;
      throw unavailable(err);
    }
  }

  async #get(table: string, key: Item): Promise<Item | undefined> {
    const output = await this.send<{ Item?: Item }>(
      new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  /** Runs a conditional write; false when its condition did not hold. */
  protected async conditional(command: { input: unknown }): Promise<boolean> {
    try {
      await this.send(command, isConditionFailure);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    return toUser(await this.#get(this.tables.usersTable, { username: s(username) }));
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return toSession(await this.#get(this.tables.sessionsTable, { sid: s(sid) }));
  }

  async putSession(record: SessionRecord): Promise<void> {
    const item: Item = {
      sid: s(record.sid),
      username: s(record.username),
      authTime: n(record.authTime / 1000),
      createdAt: n(record.createdAt),
      expiresAt: n(toSeconds(record.expiresAt)),
      handle: s(record.handle),
      // Cut short, and left out when empty: a label and an address, never a place to store a body.
      ...(record.device === "" ? {} : { device: s(record.device.slice(0, 64)) }),
      ...(record.ip === "" ? {} : { ip: s(record.ip.slice(0, 64)) }),
      ...(record.lastActiveAt === undefined ? {} : { lastActiveAt: n(record.lastActiveAt) }),
      ...(record.token === undefined ? {} : tokenAttributes(record.token)),
    };
    // A random 128-bit id never collides; the condition makes sure no session is ever overwritten.
    const created = await this.conditional(
      new PutItemCommand({
        TableName: this.tables.sessionsTable,
        Item: item,
        ConditionExpression: "attribute_not_exists(sid)",
      }),
    );
    if (!created) throw unavailable(new Error("session id collision"));
  }

  supersedeToken(
    sid: string,
    username: string,
    presented: { readonly jti: string; readonly recorded: boolean },
    next: RecordedToken,
    at: number,
  ): Promise<boolean> {
    const token = tokenAttributes(next);
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tables.sessionsTable,
        Key: { sid: s(sid) },
        UpdateExpression:
          "SET tokenJti = :jti, tokenIat = :iat, tokenExp = :exp, tokenKid = :kid, " +
          "supersededJti = :presented, supersededAt = :at, lastActiveAt = :at",
        // username = :username also fails on a missing item: no session is created here.
        ConditionExpression: `username = :username AND ${
          presented.recorded ? "tokenJti = :presented" : "attribute_not_exists(tokenJti)"
        }`,
        ExpressionAttributeValues: {
          ":jti": token.tokenJti as AttributeValue,
          ":iat": token.tokenIat as AttributeValue,
          ":exp": token.tokenExp as AttributeValue,
          ":kid": token.tokenKid as AttributeValue,
          ":presented": s(presented.jti),
          ":at": n(at),
          ":username": s(username),
        },
      }),
    );
  }

  async deleteSession(sid: string, username: string): Promise<SessionRecord | undefined> {
    // Only the session of the token's own user: a token forged with a leaked key that names
    // another user's sid ends nothing. A session already gone is no error.
    return toSession(
      await this.deleteReturning(
        new DeleteItemCommand({
          TableName: this.tables.sessionsTable,
          Key: { sid: s(sid) },
          ConditionExpression: "attribute_not_exists(sid) OR username = :username",
          ExpressionAttributeValues: { ":username": s(username) },
          ReturnValues: "ALL_OLD",
        }),
      ),
    );
  }

  /** Runs a conditional delete (ReturnValues ALL_OLD): what it deleted, or undefined when its condition failed. */
  protected async deleteReturning(command: DeleteItemCommand): Promise<Item | undefined> {
    try {
      return (await this.send<{ Attributes?: Item }>(command, isConditionFailure)).Attributes;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async listUserSessions(username: string, limit: number): Promise<SessionRecord[]> {
    // One Query of the index by username, never a Scan; the index holds what a list needs.
    const output = await this.send<{ Items?: Item[] }>(
      new QueryCommand({
        TableName: this.tables.sessionsTable,
        IndexName: SESSIONS_BY_USERNAME,
        KeyConditionExpression: "username = :username",
        ExpressionAttributeValues: { ":username": s(username) },
        Limit: limit,
      }),
    );
    return (output.Items ?? []).flatMap((item) => toSession(item) ?? []);
  }

  async endUserSessions(username: string, at: number): Promise<boolean> {
    if (await this.raiseSessionsValidAfter(username, at)) return true;
    // Either no such user, or their sessions already end at or after `at`: a revocation stamped
    // by a clock behind another one (an operator's laptop) must not revive what that one ended.
    // This write changes nothing and tells which; an UpdateItem, so no role needs GetItem for it.
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tables.usersTable,
        Key: { username: s(username) },
        UpdateExpression: "SET sessionsValidAfter = if_not_exists(sessionsValidAfter, :at)",
        ConditionExpression: "attribute_exists(username)",
        ExpressionAttributeValues: { ":at": n(at) },
      }),
    );
  }

  /** Sets sessionsValidAfter to `at` (and `hash` if given) unless the user is gone or it is already later. */
  protected raiseSessionsValidAfter(username: string, at: number, hash?: string): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tables.usersTable,
        Key: { username: s(username) },
        UpdateExpression: `SET sessionsValidAfter = :at${hash === undefined ? "" : ", passwordHash = :hash"}`,
        ConditionExpression:
          "attribute_exists(username) AND (attribute_not_exists(sessionsValidAfter) OR sessionsValidAfter < :at)",
        ExpressionAttributeValues: { ":at": n(at), ...(hash === undefined ? {} : { ":hash": s(hash) }) },
      }),
    );
  }

  async getAttempts(username: string): Promise<AttemptRecord | undefined> {
    return toAttempts(await this.#get(this.tables.signinAttemptsTable, { username: s(username) }));
  }

  putAttempts(username: string, read: AttemptRecord | undefined, next: AttemptRecord): Promise<boolean> {
    return this.conditional(
      new PutItemCommand({
        TableName: this.tables.signinAttemptsTable,
        Item: {
          username: s(username),
          failures: n(next.failures),
          lockedUntil: n(toSeconds(next.lockedUntil)),
          expiresAt: n(toSeconds(next.expiresAt)),
        },
        ...(read === undefined
          ? {
              // Absent, or unreadable (read as absent): a half-written item must not lock a name for good.
              ConditionExpression:
                "attribute_not_exists(username) OR NOT (attribute_type(failures, :n) AND " +
                "attribute_type(lockedUntil, :n) AND attribute_type(expiresAt, :n))",
              ExpressionAttributeValues: { ":n": s("N") },
            }
          : {
              ConditionExpression: "failures = :failures AND expiresAt = :expiresAt",
              ExpressionAttributeValues: { ":failures": n(read.failures), ":expiresAt": n(toSeconds(read.expiresAt)) },
            }),
      }),
    );
  }

  async deleteAttempts(username: string): Promise<void> {
    await this.send(
      new DeleteItemCommand({ TableName: this.tables.signinAttemptsTable, Key: { username: s(username) } }),
    );
  }

  async restoreAttempts(username: string, written: AttemptRecord, previous: AttemptRecord | undefined): Promise<void> {
    const key = { username: s(username) };
    const stillWritten = {
      ConditionExpression: "failures = :failures AND expiresAt = :expiresAt",
      ExpressionAttributeValues: { ":failures": n(written.failures), ":expiresAt": n(toSeconds(written.expiresAt)) },
    };
    await this.conditional(
      previous === undefined
        ? new DeleteItemCommand({ TableName: this.tables.signinAttemptsTable, Key: key, ...stillWritten })
        : new PutItemCommand({
            TableName: this.tables.signinAttemptsTable,
            Item: {
              ...key,
              failures: n(previous.failures),
              lockedUntil: n(toSeconds(previous.lockedUntil)),
              expiresAt: n(toSeconds(previous.expiresAt)),
            },
            ...stillWritten,
          }),
    );
  }

  /** Creates a user only if the name is free; false if it was taken. */
  addUser(username: string, passwordHash: string, at: number): Promise<boolean> {
    return this.conditional(
      new PutItemCommand({
        TableName: this.tables.usersTable,
        Item: { username: s(username), passwordHash: s(passwordHash), sessionsValidAfter: n(at) },
        ConditionExpression: "attribute_not_exists(username)",
      }),
    );
  }

  /** Sets a user's password and ends their sessions created at or before `at`; false if no such user. */
  async setPassword(username: string, passwordHash: string, at: number): Promise<boolean> {
    if (await this.raiseSessionsValidAfter(username, at, passwordHash)) return true;
    // Their sessions already end later than `at` (see endUserSessions): change the password only.
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tables.usersTable,
        Key: { username: s(username) },
        UpdateExpression: "SET passwordHash = :hash",
        ConditionExpression: "attribute_exists(username)",
        ExpressionAttributeValues: { ":hash": s(passwordHash) },
      }),
    );
  }
}
