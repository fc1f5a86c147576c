/**
 * The session use cases in memory: real crypto, the in-memory store and key ring of
 * test/support/memory-store.ts, and a clock the tests move instead of sleeping.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../shared/core/config.ts";
import {
  checkSession,
  endAllSessions,
  endSessions,
  refreshSession,
  type SessionDeps,
  signIn,
} from "../shared/core/session.ts";
import { issueSessionToken } from "../shared/core/token.ts";
import { MemoryKeyRing, MemoryStore, movableClock, testPasswords } from "./support/memory-store.ts";

const policy = loadConfig({ SIGNIN_MAX_FAILURES: "3" }); // 300 s tokens, 30 s window, 1 day sessions
let store: MemoryStore;
let keys: MemoryKeyRing;
let clock: ReturnType<typeof movableClock>;
let deps: SessionDeps;

// Hashed once for the file: a hash is only read.
const hashes = Promise.all([testPasswords.hash("password1"), testPasswords.hash("password2")]);

beforeEach(async () => {
  store = new MemoryStore();
  const [user1, user2] = await hashes;
  store.addUser("user1", user1);
  store.addUser("user2", user2);
  keys = await MemoryKeyRing.create();
  clock = movableClock();
  deps = { keys, store, passwords: testPasswords, clock, policy };
});

const CLIENT = { device: "Chrome on Linux", ip: "203.0.113.7" };
const signInAs = (username = "user1", password = `password${username.slice(-1)}`) =>
  signIn(deps, { username, password }, CLIENT);

describe("signIn", () => {
  it("issues a 300 s token and records its session", async () => {
    const issued = await signInAs();
    const session = await checkSession(deps, issued.token);

    expect(issued).toMatchObject({ user: "user1", issuedAt: clock(), expiresAt: clock() + 300_000 });
    expect(store.sessions.get(session.sid)).toEqual({
      sid: session.sid,
      username: "user1",
      authTime: clock(),
      createdAt: clock(),
      expiresAt: clock() + 86_400_000,
      handle: expect.stringMatching(/^[\w-]{22}$/),
      device: "Chrome on Linux",
      ip: "203.0.113.7",
      lastActiveAt: clock(),
      token: { jti: expect.any(String), issuedAt: clock(), expiresAt: clock() + 300_000, kid: keys.key.kid },
    });
  });

  it("refuses a wrong password and an unknown user alike, recording no session", async () => {
    await expect(signInAs("user1", "wrong")).rejects.toMatchObject({ code: "invalid_credentials", status: 401 });
    await expect(signInAs("nobody", "password1")).rejects.toMatchObject({ code: "invalid_credentials" });
    expect(store.sessions.size).toBe(0);
  });

  it("locks a username after SIGNIN_MAX_FAILURES, even for the right password, until the lock ends", async () => {
    for (const guess of ["a", "b", "c"]) await expect(signInAs("user1", guess)).rejects.toThrow();

    await expect(signInAs()).rejects.toMatchObject({ code: "too_many_attempts", retryAfterSeconds: 30 });
    clock.advance(30_000);
    await expect(signInAs()).resolves.toMatchObject({ user: "user1" });
    expect(store.attempts.has("user1")).toBe(false);
  });

  it("answers 503 and records no session when the store fails", async () => {
    store.failing = true;
    await expect(signInAs()).rejects.toMatchObject({ code: "service_unavailable", status: 503 });
    store.failing = false;
    expect(store.sessions.size).toBe(0);
  });
});

describe("checkSession", () => {
  it("accepts a token until its expiry, then says it expired", async () => {
    const { token } = await signInAs();
    clock.advance(299_000);
    await expect(checkSession(deps, token)).resolves.toMatchObject({ user: "user1" });
    clock.advance(1_000);
    await expect(checkSession(deps, token)).rejects.toMatchObject({ code: "token_expired" });
  });

  it("reads no table by default, so an ended session passes until its token expires", async () => {
    const { token } = await signInAs();
    await endSessions(deps, [token], CLIENT);
    store.failing = true;
    await expect(checkSession(deps, token)).resolves.toMatchObject({ user: "user1" });
  });

  it("refuses an ended session at once with REVOCATION_CHECK=every-request", async () => {
    const strict = { ...deps, policy: loadConfig({ REVOCATION_CHECK: "every-request" }) };
    const { token } = await signInAs();
    await endSessions(deps, [token], CLIENT);
    await expect(checkSession(strict, token)).rejects.toMatchObject({ code: "session_revoked" });
  });
});

describe("refreshSession", () => {
  it("refuses a refresh while more than the window is left", async () => {
    const { token } = await signInAs();
    clock.advance(269_000);
    await expect(refreshSession(deps, token, CLIENT)).rejects.toMatchObject({ code: "refresh_too_early", status: 400 });
  });

  it("re-issues the same session, signed in at the same time, for another 300 s", async () => {
    const { token } = await signInAs();
    const before = await checkSession(deps, token);
    clock.advance(270_000);
    const next = await refreshSession(deps, token, CLIENT);

    expect(next.token).not.toBe(token);
    expect(await checkSession(deps, next.token)).toMatchObject({
      sid: before.sid,
      authTime: before.authTime,
      expiresAt: clock() + 300_000,
    });
  });

  it.each([
    ["after logout", (token: string) => endSessions(deps, [token], CLIENT)],
    ["after logout everywhere", (token: string) => endAllSessions(deps, token, CLIENT)],
    ["after the user is removed", async () => void store.users.delete("user1")],
    ["after a revocation of the user's sessions", async () => void (await store.endUserSessions("user1", clock()))],
  ])("refuses with session_revoked %s", async (_name, end) => {
    const { token } = await signInAs();
    await end(token);
    clock.advance(280_000);
    await expect(refreshSession(deps, token, CLIENT)).rejects.toMatchObject({ code: "session_revoked" });
  });

  it("never carries a session past SESSION_MAX_SECONDS: the last token ends with it", async () => {
    const signedIn = clock();
    let issued = await signInAs();
    while (issued.expiresAt - clock() > 30_000) {
      clock.advance(issued.expiresAt - clock() - 20_000);
      issued = await refreshSession(deps, issued.token, CLIENT);
    }

    expect(issued.expiresAt).toBe(signedIn + 86_400_000);
    clock.advance(issued.expiresAt - clock());
    await expect(refreshSession(deps, issued.token, CLIENT)).rejects.toMatchObject({ code: "token_expired" });
  });

  it("answers 503 and issues nothing when the store fails", async () => {
    const { token } = await signInAs();
    clock.advance(280_000);
    store.failing = true;
    await expect(refreshSession(deps, token, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
  });
});

describe("endSessions (logout)", () => {
  it("ends the session of every valid token given and skips the others", async () => {
    const [a, b] = [await signInAs(), await signInAs()];
    await endSessions(deps, [a.token, "not-a-token", b.token], CLIENT);
    expect(store.sessions.size).toBe(0);
  });

  it("never ends another user's session, even for a token signed with the key that names its sid", async () => {
    const victim = await checkSession(deps, (await signInAs("user1")).token);
    const forged = await issueSessionToken(
      keys.key,
      { user: "user2", sid: victim.sid, authTime: clock() },
      clock(),
      policy,
      "forged-jti",
    );

    await endSessions(deps, [forged.token], CLIENT);

    expect(store.sessions.has(victim.sid)).toBe(true);
  });

  it("answers 503 rather than pretend a session ended when the store fails", async () => {
    const { token } = await signInAs();
    store.failing = true;
    await expect(endSessions(deps, [token], CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
  });
});

describe("endAllSessions (logout everywhere)", () => {
  it("ends every session of the user, and only theirs", async () => {
    const [mine, other, theirs] = [await signInAs(), await signInAs(), await signInAs("user2")];
    clock.advance(1_000);
    await expect(endAllSessions(deps, mine.token, CLIENT)).resolves.toBe("user1");
    clock.advance(280_000);

    await expect(refreshSession(deps, other.token, CLIENT)).rejects.toMatchObject({ code: "session_revoked" });
    await expect(refreshSession(deps, theirs.token, CLIENT)).resolves.toMatchObject({ user: "user2" });
  });

  it("needs a live session: a token kept after logout cannot sign the user out everywhere", async () => {
    const [kept, live] = [await signInAs(), await signInAs()];
    await endSessions(deps, [kept.token], CLIENT);

    await expect(endAllSessions(deps, kept.token, CLIENT)).rejects.toMatchObject({ code: "session_revoked" });
    clock.advance(280_000);
    await expect(refreshSession(deps, live.token, CLIENT)).resolves.toMatchObject({ user: "user1" });
  });
});
