/**
 * An attempt whose password was never checked, or whose right password found the store failing,
 * costs the user nothing: signIn counts each attempt before the password check and takes the
 * count back (conditionally) when the sign-in fails for any other reason. In memory, with a store
 * that fails on demand.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { unavailable } from "../shared/core/errors.ts";
import { signIn } from "../shared/core/session.ts";
import { memoryDeps, testPasswords } from "./support/memory-store.ts";

let passwordHash: string;
beforeAll(async () => {
  passwordHash = await testPasswords.hash("password1");
});

async function arrange(failures?: number) {
  const world = await memoryDeps();
  world.store.users.set("user1", { username: "user1", passwordHash, sessionsValidAfter: 0 });
  if (failures !== undefined) {
    world.store.attempts.set("user1", { failures, lockedUntil: 0, expiresAt: world.clock() + 60_000 });
  }
  return world;
}

const CLIENT = { device: "Chrome on Linux", ip: "203.0.113.7" };
const right = { username: "user1", password: "password1" };
const wrong = { username: "user1", password: "password2" };

describe("signIn's attempt counter", () => {
  it("counts a wrong password", async () => {
    const { deps, store } = await arrange(2);

    await expect(signIn(deps, wrong, CLIENT)).rejects.toMatchObject({ code: "invalid_credentials" });
    expect(store.attempts.get("user1")?.failures).toBe(3);
  });

  it("takes the attempt back when the counter's write timed out after it was applied", async () => {
    const { deps, store } = await arrange(2);
    const before = store.attempts.get("user1");
    store.failingOn.set("putAttempts", "after");

    await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    expect(store.attempts.get("user1")).toEqual(before);
  });

  it("takes the attempt back when the right password finds the counter's table failing", async () => {
    const { deps, store } = await arrange(2);
    const before = store.attempts.get("user1");
    store.failingOn.set("deleteAttempts", "before");

    await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    expect(store.attempts.get("user1")).toEqual(before);
  });

  it("clears the counter of a right password even when the sessions table fails", async () => {
    const { deps, store } = await arrange(2);
    store.failingOn.set("putSession", "before");

    await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    expect(store.attempts.has("user1")).toBe(false);
  });

  it("removes the record again when a first attempt fails on the store", async () => {
    const { deps, store } = await arrange();
    store.failingOn.set("deleteAttempts", "before");

    await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    expect(store.attempts.has("user1")).toBe(false);
  });

  it("never lets a run of 503s lock the user out", async () => {
    const { deps, store } = await arrange();
    store.failingOn.set("deleteAttempts", "before");
    for (let i = 0; i < deps.policy.signinMaxFailures + 1; i++) {
      await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    }
    store.failingOn.clear();

    await expect(signIn(deps, right, CLIENT)).resolves.toMatchObject({ user: "user1" });
  });

  it("counts nothing when the signing key cannot be read", async () => {
    const { deps, store } = await arrange(2);
    const before = store.attempts.get("user1");

    const failingKeys = {
      current: () => Promise.reject(unavailable(new Error("no key"))),
      forKid: async () => undefined,
    };
    await expect(signIn({ ...deps, keys: failingKeys }, right, CLIENT)).rejects.toMatchObject({
      code: "service_unavailable",
    });
    expect(store.attempts.get("user1")).toEqual(before);
  });

  it("still answers 503 when putting the attempt back fails too", async () => {
    const { deps, store } = await arrange(2);
    store.failingOn.set("deleteAttempts", "before");
    store.failingOn.set("restoreAttempts", "before");

    await expect(signIn(deps, right, CLIENT)).rejects.toMatchObject({ code: "service_unavailable" });
    expect(store.attempts.get("user1")?.failures).toBe(3);
  });
});
