/**
 * The account use cases in memory, with a moved clock: the password change (lockout, ending the
 * other sessions, keeping the caller's) and sign-up.
 */
import { describe, expect, it } from "vitest";
import { type AccountDeps, changePassword, signUp } from "../shared/core/account.ts";
import { loadConfig } from "../shared/core/config.ts";
import { refreshSession, signIn } from "../shared/core/session.ts";
import { MemoryKeyRing, MemoryStore, movableClock, testPasswords } from "./support/memory-store.ts";

const NEW_PASSWORD = "a long and quiet river";
const CLIENT = { device: "Firefox on macOS", ip: "198.51.100.4" };

async function setup(env: Record<string, string> = {}) {
  const store = await new MemoryStore().withUser("user1", "password1");
  const time = movableClock();
  const deps: AccountDeps = {
    keys: await MemoryKeyRing.create(),
    store,
    passwords: testPasswords,
    clock: time,
    policy: loadConfig(env),
  };
  return { store, time, deps };
}

/** The code of what `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (err: { code?: unknown }) => err.code,
  );
}

/** Moves the clock into the refresh window of tokens just issued (300 s, a 30 s window). */
const intoRefreshWindow = (time: ReturnType<typeof movableClock>) => time.advance(280_000);

describe("changePassword", () => {
  it("takes the counted attempt back when the right password finds the counter's table failing", async () => {
    const { deps, store, time } = await setup();
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    store.attempts.set("user1", { failures: 2, lockedUntil: 0, expiresAt: time() + 60_000 });
    const before = store.attempts.get("user1");
    store.failingOn.set("deleteAttempts", "before");

    const change = changePassword(deps, token, { currentPassword: "password1", newPassword: NEW_PASSWORD }, CLIENT);
    expect(await codeOf(change)).toBe("service_unavailable");
    expect(store.attempts.get("user1")).toEqual(before);
  });

  it("replaces the password: the old one stops working, the new one signs in", async () => {
    const { deps } = await setup();
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);

    await changePassword(deps, token, { currentPassword: "password1", newPassword: NEW_PASSWORD }, CLIENT);

    expect(await codeOf(signIn(deps, { username: "user1", password: "password1" }, CLIENT))).toBe(
      "invalid_credentials",
    );
    expect((await signIn(deps, { username: "user1", password: NEW_PASSWORD }, CLIENT)).user).toBe("user1");
  });

  it("ends every other session of the user and keeps the caller signed in with a new one", async () => {
    const { deps, time } = await setup();
    const other = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    const mine = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);

    const issued = await changePassword(
      deps,
      mine.token,
      { currentPassword: "password1", newPassword: NEW_PASSWORD },
      CLIENT,
    );
    intoRefreshWindow(time);

    expect(await codeOf(refreshSession(deps, other.token, CLIENT))).toBe("session_revoked");
    expect(await codeOf(refreshSession(deps, mine.token, CLIENT))).toBe("session_revoked");
    expect((await refreshSession(deps, issued.token, CLIENT)).user).toBe("user1");
  });

  it("keeps the caller's new session even when the user's sessions already end later than now", async () => {
    const { deps, store, time } = await setup();
    const mine = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    // Another clock, a second ahead, ended the user's sessions before this one was created.
    const [user, record] = [store.users.get("user1"), [...store.sessions.values()][0]];
    if (user === undefined || record === undefined) throw new Error("no user1 or no session");
    store.users.set("user1", { ...user, sessionsValidAfter: time() + 1000 });
    store.sessions.set(record.sid, { ...record, createdAt: time() + 2000 });

    const issued = await changePassword(
      deps,
      mine.token,
      { currentPassword: "password1", newPassword: NEW_PASSWORD },
      CLIENT,
    );
    intoRefreshWindow(time);

    expect((await refreshSession(deps, issued.token, CLIENT)).user).toBe("user1");
  });

  it("answers a wrong current password with invalid_credentials and counts it toward the sign-in lockout", async () => {
    const { deps, time } = await setup({ SIGNIN_MAX_FAILURES: "3" });
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    const wrong = { currentPassword: "not-my-password", newPassword: NEW_PASSWORD };

    expect(await codeOf(changePassword(deps, token, wrong, CLIENT))).toBe("invalid_credentials");
    expect(await codeOf(signIn(deps, { username: "user1", password: "guess" }, CLIENT))).toBe("invalid_credentials");
    expect(await codeOf(changePassword(deps, token, wrong, CLIENT))).toBe("invalid_credentials");
    // Three failures in a row, two of them here: the username is locked, for sign-in and here alike.
    expect(await codeOf(signIn(deps, { username: "user1", password: "password1" }, CLIENT))).toBe("too_many_attempts");
    expect(await codeOf(changePassword(deps, token, { ...wrong, currentPassword: "password1" }, CLIENT))).toBe(
      "too_many_attempts",
    );
    time.advance(31_000);
    expect((await changePassword(deps, token, { ...wrong, currentPassword: "password1" }, CLIENT)).user).toBe("user1");
  });

  it("counts the attempt before checking the password, so parallel guesses cannot outrun the limit", async () => {
    const { deps, store } = await setup({ SIGNIN_MAX_FAILURES: "3" });
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);

    const codes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        codeOf(changePassword(deps, token, { currentPassword: `guess-${i}`, newPassword: NEW_PASSWORD }, CLIENT)),
      ),
    );

    expect(codes.filter((code) => code === "invalid_credentials").length).toBeLessThanOrEqual(3);
    expect(store.attempts.get("user1")?.failures).toBeLessThanOrEqual(3);
  });

  it("clears the failure count on success, as a sign-in does", async () => {
    const { deps, store } = await setup();
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    await codeOf(changePassword(deps, token, { currentPassword: "nope", newPassword: NEW_PASSWORD }, CLIENT));
    expect(store.attempts.get("user1")?.failures).toBe(1);

    await changePassword(deps, token, { currentPassword: "password1", newPassword: NEW_PASSWORD }, CLIENT);

    expect(store.attempts.has("user1")).toBe(false);
  });

  it("refuses a weak new password with weak_password before any password work or lockout count", async () => {
    const { deps, store } = await setup();
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    const before = store.users.get("user1");

    expect(await codeOf(changePassword(deps, token, { currentPassword: "wrong", newPassword: "short" }, CLIENT))).toBe(
      "weak_password",
    );
    expect(
      await codeOf(changePassword(deps, token, { currentPassword: "password1", newPassword: "user1" }, CLIENT)),
    ).toBe("weak_password");
    expect(store.users.get("user1")).toBe(before);
    expect(store.attempts.has("user1")).toBe(false);
  });

  it("requires a live session: one ended by logout everywhere cannot change the password", async () => {
    const { deps, store, time } = await setup();
    const { token } = await signIn(deps, { username: "user1", password: "password1" }, CLIENT);
    time.advance(1);
    await store.endUserSessions("user1", time());

    expect(
      await codeOf(changePassword(deps, token, { currentPassword: "password1", newPassword: NEW_PASSWORD }, CLIENT)),
    ).toBe("session_revoked");
  });
});

describe("signUp", () => {
  it("is closed by default: signup_closed, and nothing is created", async () => {
    const { deps, store } = await setup();

    expect(await codeOf(signUp(deps, { username: "alice", password: NEW_PASSWORD }, CLIENT))).toBe("signup_closed");
    expect(store.users.has("alice")).toBe(false);
  });

  it("with SIGNUP=open creates the user and starts a session that refreshes", async () => {
    const { deps, store, time } = await setup({ SIGNUP: "open" });

    const issued = await signUp(deps, { username: "alice", password: NEW_PASSWORD }, CLIENT);
    intoRefreshWindow(time);

    expect(issued.user).toBe("alice");
    expect(store.users.has("alice")).toBe(true);
    expect((await refreshSession(deps, issued.token, CLIENT)).user).toBe("alice");
    expect((await signIn(deps, { username: "alice", password: NEW_PASSWORD }, CLIENT)).user).toBe("alice");
  });

  it("answers username_taken for a name in use, and leaves that user as they were", async () => {
    const { deps, store } = await setup({ SIGNUP: "open" });
    const before = store.users.get("user1");

    expect(await codeOf(signUp(deps, { username: "user1", password: NEW_PASSWORD }, CLIENT))).toBe("username_taken");
    expect(store.users.get("user1")).toBe(before);
  });

  it("applies the password policy and sign-in's username rule", async () => {
    const { deps, store } = await setup({ SIGNUP: "open" });

    expect(await codeOf(signUp(deps, { username: "alice", password: "password1" }, CLIENT))).toBe("weak_password");
    expect(await codeOf(signUp(deps, { username: "alice", password: "alice" }, CLIENT))).toBe("weak_password");
    expect(await codeOf(signUp(deps, { username: ".alice", password: NEW_PASSWORD }, CLIENT))).toBe("invalid_request");
    expect(await codeOf(signUp(deps, { username: "a".repeat(65), password: NEW_PASSWORD }, CLIENT))).toBe(
      "invalid_request",
    );
    expect(store.users.size).toBe(1);
  });
});
