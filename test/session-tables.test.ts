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
    const record = {
      sid: "d".repeat(22),
      username: "user1",
      authTime: 1000,
      createdAt: 1000,
      expiresAt: 2000,
      handle: "h".repeat(22),
      device: "",
      ip: "",
    };
    await store.putSession(record);
    await expect(store.putSession({ ...record, username: "user2" })).rejects.toMatchObject({
      code: "service_unavailable",
    });
    await expect(store.getSession(record.sid)).resolves.toMatchObject({ username: "user1" });
  });

  it("supersedes a session's newest token only once, and reads back what refresh signs again", async () => {
    const first = { jti: "jti-first", issuedAt: 1_800_000_000_000, expiresAt: 1_800_000_300_000, kid: "k".repeat(32) };
    const record = {
      sid: "t".repeat(22),
      username: "user1",
      authTime: 1_800_000_000_000,
      createdAt: 1,
      expiresAt: 2,
      handle: "h".repeat(22),
      device: "",
      ip: "",
    };
    await store.putSession({ ...record, lastActiveAt: 1_800_000_000_123, token: first });
    const next = (jti: string) => ({ ...first, jti, issuedAt: 1_800_000_280_000, expiresAt: 1_800_000_580_000 });
    const presented = { jti: "jti-first", recorded: true };

    const results = await Promise.all([
      store.supersedeToken(record.sid, "user1", presented, next("jti-a"), 1_800_000_280_500),
      store.supersedeToken(record.sid, "user1", presented, next("jti-b"), 1_800_000_280_600),
    ]);

    expect(results.sort()).toEqual([false, true]);
    const stored = await store.getSession(record.sid);
    expect(stored).toMatchObject({ token: { issuedAt: 1_800_000_280_000, expiresAt: 1_800_000_580_000 } });
    expect(stored?.superseded).toEqual({ jti: "jti-first", at: stored?.lastActiveAt });
    await expect(
      store.supersedeToken(record.sid, "user2", { jti: String(stored?.token?.jti), recorded: true }, next("x"), 3),
    ).resolves.toBe(false);
  });

  it("records a first token on a session item of an earlier release, once, and creates no item", async () => {
    const sid = "u".repeat(22);
    await putRaw(config.sessionsTable, {
      sid: { S: sid },
      username: { S: "user1" },
      authTime: { N: "1800000000" },
      createdAt: { N: "1800000000000" },
      expiresAt: { N: "9999999999" },
    });
    const token = { jti: "jti-new", issuedAt: 1_800_000_280_000, expiresAt: 1_800_000_580_000, kid: "k".repeat(32) };
    const presented = { jti: "jti-old", recorded: false };
    await expect(store.getSession(sid)).resolves.toMatchObject({ sid, username: "user1" });

    await expect(store.supersedeToken(sid, "user1", presented, token, 7)).resolves.toBe(true);
    await expect(store.supersedeToken(sid, "user1", presented, token, 8)).resolves.toBe(false);
    await expect(store.supersedeToken("v".repeat(22), "user1", presented, token, 9)).resolves.toBe(false);

    await expect(store.getSession(sid)).resolves.toMatchObject({
      token,
      superseded: { jti: "jti-old", at: 7 },
      lastActiveAt: 7,
    });
    await expect(store.getSession("v".repeat(22))).resolves.toBeUndefined();
  });

  it("reads a session whose token attributes are half written as no session", async () => {
    const sid = "w".repeat(22);
    await putRaw(config.sessionsTable, {
      sid: { S: sid },
      username: { S: "user1" },
      authTime: { N: "1800000000" },
      createdAt: { N: "1" },
      expiresAt: { N: "9999999999" },
      tokenJti: { S: "jti-1" },
    });
    await expect(store.getSession(sid)).resolves.toBeUndefined();
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
