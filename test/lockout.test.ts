/**
 * The pure rules of lockout and of ended sessions, with an injected clock; then, in a container
 * in this process, that a locked username costs no scrypt work (node:crypto's scrypt is wrapped
 * to count derivations; nothing of ours is mocked).
 */
import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../shared/core/config.ts";
import { ATTEMPT_MEMORY_SECONDS, admitAttempt, lockoutSeconds } from "../shared/core/lockout.ts";
import type { SessionRecord, UserRecord } from "../shared/core/ports.ts";
import { sessionEnded } from "../shared/core/session.ts";
import { loadContainer, signInEvent } from "./support/in-process.ts";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  const scrypt = (...args: Parameters<typeof actual.scrypt>) => actual.scrypt(...args);
  return { ...actual, scrypt: vi.fn(scrypt) };
});

const policy = loadConfig({}); // 5 failures, then 30 s doubling to 900 s
const NOW = 1_800_000_000_000; // epoch milliseconds, as the core counts (a whole second)
const SECOND = 1000;

describe("lockoutSeconds", () => {
  it("locks nobody below SIGNIN_MAX_FAILURES, then 30 s doubling up to 15 minutes", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 50].map((failures) => lockoutSeconds(failures, policy));
    expect(delays).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
  });
});

describe("admitAttempt", () => {
  it("admits a first attempt and counts it in advance", () => {
    expect(admitAttempt(undefined, NOW, policy)).toEqual({
      admitted: true,
      next: { failures: 1, lockedUntil: 0, expiresAt: NOW + ATTEMPT_MEMORY_SECONDS * SECOND },
    });
  });

  it("sets the lock with the attempt that reaches the limit, before its password is checked", () => {
    const fourth = { failures: 4, lockedUntil: 0, expiresAt: NOW + 100 * SECOND };
    expect(admitAttempt(fourth, NOW, policy)).toEqual({
      admitted: true,
      next: {
        failures: 5,
        lockedUntil: NOW + 30 * SECOND,
        expiresAt: NOW + 30 * SECOND + ATTEMPT_MEMORY_SECONDS * SECOND,
      },
    });
  });

  it("refuses while locked, saying how long is left", () => {
    const locked = { failures: 5, lockedUntil: NOW + 30 * SECOND, expiresAt: NOW + 1000 * SECOND };
    expect(admitAttempt(locked, NOW + 10 * SECOND, policy)).toEqual({ admitted: false, retryAfterSeconds: 20 });
  });

  it("admits one attempt once the lock is over, and doubles the next lock", () => {
    const locked = { failures: 5, lockedUntil: NOW + 30 * SECOND, expiresAt: NOW + 1000 * SECOND };
    expect(admitAttempt(locked, NOW + 30 * SECOND, policy)).toMatchObject({
      admitted: true,
      next: { failures: 6, lockedUntil: NOW + (30 + 60) * SECOND },
    });
  });

  it("ignores a record past its expiry, whether or not TTL has deleted it", () => {
    const stale = { failures: 50, lockedUntil: NOW + 900 * SECOND, expiresAt: NOW };
    expect(admitAttempt(stale, NOW, policy)).toMatchObject({ admitted: true, next: { failures: 1, lockedUntil: 0 } });
  });
});

describe("sessionEnded", () => {
  const identity = { user: "user1", sid: "s".repeat(22), authTime: NOW - 100 * SECOND };
  const record: SessionRecord = {
    sid: identity.sid,
    username: "user1",
    authTime: NOW - 100 * SECOND,
    createdAt: NOW - 100 * SECOND + 5,
    expiresAt: NOW + 1000 * SECOND,
    handle: "h".repeat(22),
    device: "",
    ip: "",
  };
  const user: UserRecord = { username: "user1", passwordHash: "x", sessionsValidAfter: NOW - 200 * SECOND };

  it("keeps a session whose item and user are there and which started after sessionsValidAfter", () => {
    expect(sessionEnded(identity, record, user, NOW)).toBe(false);
  });

  it.each([
    ["its item is missing", undefined, user],
    ["its user is gone", record, undefined],
    ["its item belongs to another user", { ...record, username: "user2" }, user],
    ["its item records another sign-in time", { ...record, authTime: NOW - 99 * SECOND }, user],
    ["its item is past its end (TTL not yet run)", { ...record, expiresAt: NOW }, user],
    ["the user's sessions were ended after it started", record, { ...user, sessionsValidAfter: record.createdAt }],
  ])("ends a session when %s", (_name, storedRecord, storedUser) => {
    expect(sessionEnded(identity, storedRecord, storedUser, NOW)).toBe(true);
  });
});

describe("a locked username, in a container", () => {
  let container: Awaited<ReturnType<typeof loadContainer>>;
  const scrypt = vi.mocked(crypto.scrypt);

  beforeAll(async () => {
    container = await loadContainer({ SIGNIN_MAX_FAILURES: "2" });
  });

  afterAll(async () => {
    await container?.secrets.stop();
    await container?.dynamodb.stop();
  });

  const signIn = async (username: string, password: string) =>
    (await container.handlers.signin(signInEvent({ username, password }))) as {
      statusCode: number;
      headers: Record<string, string>;
    };

  it.each(["user1", "no-such-user"])("costs no scrypt work once %s is locked", async (username) => {
    expect((await signIn(username, "wrong-1")).statusCode).toBe(401);
    expect((await signIn(username, "wrong-2")).statusCode).toBe(401);
    scrypt.mockClear();

    const locked = await signIn(username, "password1");

    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers["Retry-After"])).toBeGreaterThan(0);
    expect(scrypt).not.toHaveBeenCalled();
  });

  it("lets no more than SIGNIN_MAX_FAILURES of many parallel guesses reach scrypt", async () => {
    scrypt.mockClear();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => signIn("parallel-target", `guess-${i}`)));

    expect(scrypt.mock.calls.length).toBeLessThanOrEqual(2);
    expect(results.filter((result) => result.statusCode === 401).length).toBe(scrypt.mock.calls.length);
    expect(results.every((result) => result.statusCode === 401 || result.statusCode === 429)).toBe(true);
  });
});
