/**
 * The DynamoDB adapter against a local DynamoDB (dynalite) with the real SDK: items written by
 * hand that miss an attribute grant nothing, and conditional writes hold when raced.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDynamoClient } from "../local/sdk-env.ts";
import type { SessionTables } from "../shared/aws/session-tables.ts";
import { loadConfig } from "../shared/core/config.ts";
import { startTables } from "./support/service.ts";

const config = loadConfig({});
let tables: Awaited<ReturnType<typeof startTables>>;
let store: SessionTables;

beforeAll(async () => {
  tables = await startTables(config);
  store = tables.store;
});

afterAll(async () => {
  await tables?.dynamodb.stop();
});

async function putRaw(table: string, item: Record<string, { S: string } | { N: string }>) {
  const client = localDynamoClient(tables.dynamodb.url);
  try {
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
  } finally {
    client.destroy();
  }
}

describe("SessionTables", () => {
  it("reads a user without sessionsValidAfter as no user at all", async () => {
    await putRaw(config.usersTable, { username: { S: "half" }, passwordHash: { S: "scrypt$x" } });
    await expect(store.getUser("half")).resolves.toBeUndefined();
  });

  it("reads a session whose times are not numbers as no session", async () => {
    const sid = "m".repeat(22);
    await putRaw(config.sessionsTable, {
      sid: { S: sid },
      username: { S: "user1" },
      authTime: { S: "yesterday" },
      createdAt: { N: "1" },
      expiresAt: { N: "9999999999" },
    });
    await expect(store.getSession(sid)).resolves.toBeUndefined();
  });

  it("lets exactly one of two racing attempts store its count", async () => {
    const next = { failures: 1, lockedUntil: 0, expiresAt: 2_000_000_000_000 };
    const results = await Promise.all([
      store.putAttempts("racer", undefined, next),
      store.putAttempts("racer", undefined, next),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });

  it("puts a counter back only if it is still the one written: another attempt's count stays", async () => {
    const previous = { failures: 2, lockedUntil: 0, expiresAt: 2_000_000_000_000 };
    const written = { failures: 3, lockedUntil: 0, expiresAt: 2_000_001_000_000 };
    const other = { failures: 4, lockedUntil: 0, expiresAt: 2_000_002_000_000 };
    await store.putAttempts("restored", undefined, written);
    await store.restoreAttempts("restored", written, previous);
    await store.putAttempts("removed", undefined, written);
    await store.restoreAttempts("removed", written, undefined);
    await store.putAttempts("raced", undefined, other);
    await store.restoreAttempts("raced", written, previous);

    expect(await store.getAttempts("restored")).toEqual(previous);
    expect(await store.getAttempts("removed")).toBeUndefined();
    expect(await store.getAttempts("raced")).toEqual(other);
  });

  it("replaces a counter it cannot read rather than lock its name for good", async () => {
    await putRaw(config.signinAttemptsTable, { username: { S: "garbled" }, failures: { S: "many" } });
    await expect(store.getAttempts("garbled")).resolves.toBeUndefined();

    const next = { failures: 1, lockedUntil: 0, expiresAt: 2_000_000_000_000 };
    await expect(store.putAttempts("garbled", undefined, next)).resolves.toBe(true);
    await expect(store.getAttempts("garbled")).resolves.toEqual(next);
  });

  it("never overwrites a session with the same id", async () => {
    const record = { sid: "d".repeat(22), username: "user1", authTime: 1000, createdAt: 1000, expiresAt: 2000 };
    await store.putSession(record);
    await expect(store.putSession({ ...record, username: "user2" })).rejects.toMatchObject({
      code: "service_unavailable",
    });
    await expect(store.getSession(record.sid)).resolves.toMatchObject({ username: "user1" });
  });

  it("ends a user's sessions only if the user exists", async () => {
    const later = Date.now() + 60_000;
    await expect(store.endUserSessions("nobody", later)).resolves.toBe(false);
    await expect(store.endUserSessions("user2", later)).resolves.toBe(true);
    await expect(store.getUser("user2")).resolves.toMatchObject({ sessionsValidAfter: later });
  });

  it("never moves sessionsValidAfter back: a revocation stamped by a slower clock revives nothing", async () => {
    const ended = Date.now() + 120_000;
    await store.endUserSessions("user1", ended);

    await expect(store.endUserSessions("user1", ended - 300_000)).resolves.toBe(true);
    await expect(store.setPassword("user1", "scrypt$new", ended - 300_000)).resolves.toBe(true);

    await expect(store.getUser("user1")).resolves.toEqual({
      username: "user1",
      passwordHash: "scrypt$new",
      sessionsValidAfter: ended,
    });
  });
});
