/**
 * A user's sessions in memory, with a moved clock: what sign-in records, the list a user sees,
 * ending one session or all others, and the session limit.
 */
import { decodeJwt } from "jose";
import { describe, expect, it, vi } from "vitest";
import type { ClientFacts } from "../shared/core/ports.ts";
import { refreshSession, signIn } from "../shared/core/session.ts";
import {
  endOtherSessions,
  endSessionById,
  endUserSession,
  listSessions,
  userSessions,
} from "../shared/core/user-sessions.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { memoryDeps } from "./support/memory-store.ts";

const SECOND = 1000;
const LAPTOP: ClientFacts = { device: "Chrome on Linux", ip: "203.0.113.7" };
const CLIENT = LAPTOP;
const PHONE: ClientFacts = { device: "Safari on iOS", ip: "198.51.100.2" };

async function setUp(env: Record<string, string> = {}) {
  const memory = await memoryDeps(env);
  await memory.store.withUser("alice", "password1");
  await memory.store.withUser("bob", "password1");
  const signInAs = async (username: string, client: ClientFacts) => {
    const issued = await signIn(memory.deps, { username, password: "password1" }, client);
    return { token: issued.token, sid: String(decodeJwt(issued.token).sid) };
  };
  return { ...memory, signInAs };
}

describe("sign-in", () => {
  it("records the device, the address and a handle apart from the sid", async () => {
    const { store, signInAs, clock } = await setUp();
    const { sid } = await signInAs("alice", LAPTOP);

    const record = store.sessions.get(sid);
    expect(record).toMatchObject({
      username: "alice",
      device: "Chrome on Linux",
      ip: "203.0.113.7",
      createdAt: clock(),
    });
    expect(record?.handle).toMatch(/^[\w-]{22}$/);
    expect(record?.handle).not.toBe(sid);
  });
});

describe("listSessions", () => {
  it("lists the caller's live sessions, most recently active first, theirs marked, no sid", async () => {
    const { store, signInAs, deps, clock } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    clock.advance(60 * SECOND);
    const phone = await signInAs("alice", PHONE);
    clock.advance(60 * SECOND);
    store.touchSession(laptop.sid, { lastActiveAt: clock() });
    await signInAs("bob", LAPTOP);

    const { user, sessions } = await listSessions(deps, phone.token);

    expect(user).toBe("alice");
    expect(sessions).toEqual([
      {
        id: store.sessions.get(laptop.sid)?.handle,
        current: false,
        device: "Chrome on Linux",
        ip: "203.0.113.7",
        signedInAt: clock() - 120 * SECOND,
        lastActiveAt: clock(),
      },
      {
        id: store.sessions.get(phone.sid)?.handle,
        current: true,
        device: "Safari on iOS",
        ip: "198.51.100.2",
        signedInAt: clock() - 60 * SECOND,
        lastActiveAt: clock() - 60 * SECOND,
      },
    ]);
    expect(JSON.stringify(sessions)).not.toContain(laptop.sid);
  });

  it("leaves out sessions ended by the user's sessionsValidAfter and sessions past their end", async () => {
    const { store, signInAs, deps, clock } = await setUp({ SESSION_MAX_SECONDS: "600" });
    const expired = await signInAs("alice", PHONE); // ends 600 s after its sign-in
    clock.advance(400 * SECOND);
    const ended = await signInAs("alice", LAPTOP); // within its 600 s, but ended below
    const endedAt = clock();
    clock.advance(SECOND);
    const caller = await signInAs("alice", LAPTOP);
    await store.endUserSessions("alice", endedAt); // sessions created up to endedAt are ended
    clock.advance(250 * SECOND);

    const { sessions } = await listSessions(deps, caller.token);

    expect(sessions.map((view) => view.current)).toEqual([true]);
    // Neither is deleted yet (no sign-in since found them ended): they are only left out.
    expect([ended, expired].map(({ sid }) => store.sessions.has(sid))).toEqual([true, true]);
  });

  it("refuses a caller whose own session was ended (session_revoked)", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    await store.deleteSession(laptop.sid, "alice");

    await expect(listSessions(deps, laptop.token)).rejects.toMatchObject({ code: "session_revoked" });
  });
});

describe("endSessionById", () => {
  it("audits the end by the ended session's handle and the caller's device, never the sid", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const phone = await signInAs("alice", PHONE);
    const handle = String(store.sessions.get(phone.sid)?.handle);
    const lines = captureLogs();

    await endSessionById(deps, laptop.token, handle, CLIENT);

    const records = lines.map((line) => JSON.parse(line)).filter((record) => record.audit !== undefined);
    expect(records).toEqual([
      {
        level: "info",
        message: "audit",
        audit: "session_ended",
        user: "alice",
        session: handle,
        ip: LAPTOP.ip,
        device: LAPTOP.device,
        outcome: "success",
        reason: "ended_by_user",
      },
    ]);
    expect(lines.join("")).not.toContain(phone.sid);
    vi.restoreAllMocks();
  });

  it("ends another session of the caller, whose next refresh is refused", async () => {
    const { store, signInAs, deps, clock } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const phone = await signInAs("alice", PHONE);

    const result = await endSessionById(deps, laptop.token, String(store.sessions.get(phone.sid)?.handle), CLIENT);

    expect(result).toEqual({ user: "alice", current: false });
    expect(store.sessions.has(phone.sid)).toBe(false);
    clock.advance(280 * SECOND);
    await expect(refreshSession(deps, phone.token, PHONE)).rejects.toMatchObject({ code: "session_revoked" });
    await expect(refreshSession(deps, laptop.token, LAPTOP)).resolves.toMatchObject({ user: "alice" });
  });

  it("answers another user's session and an unknown id alike, and ends neither", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const bobs = await signInAs("bob", PHONE);
    const bobsHandle = String(store.sessions.get(bobs.sid)?.handle);

    for (const id of [bobsHandle, "x".repeat(22), "", bobs.sid]) {
      await expect(endSessionById(deps, laptop.token, id, CLIENT)).rejects.toMatchObject({
        code: "session_not_found",
        status: 404,
      });
    }
    expect(store.sessions.has(bobs.sid)).toBe(true);
  });

  it("answers session_not_found for a session of the caller's that has already ended", async () => {
    const { store, signInAs, deps, clock } = await setUp();
    const old = await signInAs("alice", LAPTOP);
    clock.advance(SECOND);
    await store.endUserSessions("alice", clock());
    clock.advance(SECOND);
    const caller = await signInAs("alice", PHONE);
    const handle = String(store.sessions.get(old.sid)?.handle);

    await expect(endSessionById(deps, caller.token, handle, CLIENT)).rejects.toMatchObject({
      code: "session_not_found",
    });
  });

  it("ends the caller's own session when named, and says so", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);

    const handle = String(store.sessions.get(laptop.sid)?.handle);
    await expect(endSessionById(deps, laptop.token, handle, CLIENT)).resolves.toEqual({ user: "alice", current: true });
    expect(store.sessions.has(laptop.sid)).toBe(false);
  });
});

describe("endOtherSessions", () => {
  it("ends every other session of the caller and keeps theirs and other users'", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const phone = await signInAs("alice", PHONE);
    const tablet = await signInAs("alice", PHONE);
    const bobs = await signInAs("bob", PHONE);

    await expect(endOtherSessions(deps, laptop.token, CLIENT)).resolves.toEqual({ user: "alice", ended: 2 });
    expect([laptop, phone, tablet, bobs].map(({ sid }) => store.sessions.has(sid))).toEqual([true, false, false, true]);
  });

  it("refuses a caller whose session was ended", async () => {
    const { store, signInAs, deps } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const phone = await signInAs("alice", PHONE);
    await store.deleteSession(laptop.sid, "alice");

    await expect(endOtherSessions(deps, laptop.token, CLIENT)).rejects.toMatchObject({ code: "session_revoked" });
    expect(store.sessions.has(phone.sid)).toBe(true);
  });
});

describe("MAX_SESSIONS_PER_USER", () => {
  it("ends the least recently active session when a sign-in goes beyond the limit", async () => {
    const { store, signInAs, clock } = await setUp({ MAX_SESSIONS_PER_USER: "2" });
    const first = await signInAs("alice", LAPTOP);
    clock.advance(10 * SECOND);
    const second = await signInAs("alice", PHONE);
    clock.advance(10 * SECOND);
    store.touchSession(first.sid, { lastActiveAt: clock() }); // the first was refreshed since
    clock.advance(10 * SECOND);
    const third = await signInAs("alice", LAPTOP);

    expect([first, second, third].map(({ sid }) => store.sessions.has(sid))).toEqual([true, false, true]);
  });

  it("counts only live sessions, and deletes ended ones on the way", async () => {
    const { store, signInAs, clock } = await setUp({ MAX_SESSIONS_PER_USER: "2" });
    const ended = await signInAs("alice", LAPTOP);
    clock.advance(SECOND);
    await store.endUserSessions("alice", clock());
    clock.advance(SECOND);
    const live = await signInAs("alice", PHONE);
    const latest = await signInAs("alice", LAPTOP);

    expect([ended, live, latest].map(({ sid }) => store.sessions.has(sid))).toEqual([false, true, true]);
  });

  it("never ends another user's sessions", async () => {
    const { store, signInAs } = await setUp({ MAX_SESSIONS_PER_USER: "1" });
    const bobs = await signInAs("bob", LAPTOP);
    await signInAs("alice", LAPTOP);
    await signInAs("alice", PHONE);

    expect(store.sessions.has(bobs.sid)).toBe(true);
    expect([...store.sessions.values()].filter((record) => record.username === "alice")).toHaveLength(1);
  });
});

describe("for operators", () => {
  it("lists a user's live sessions and ends one by its id", async () => {
    const { store, signInAs, deps, clock } = await setUp();
    const laptop = await signInAs("alice", LAPTOP);
    const views = await userSessions(store, "alice", clock(), deps.policy);
    expect(views).toMatchObject([{ device: "Chrome on Linux", ip: "203.0.113.7", current: false }]);

    await expect(endUserSession(store, "alice", String(views?.[0]?.id), clock(), deps.policy)).resolves.toBe(true);
    expect(store.sessions.has(laptop.sid)).toBe(false);
    await expect(endUserSession(store, "alice", String(views?.[0]?.id), clock(), deps.policy)).resolves.toBe(false);
    await expect(userSessions(store, "nobody", clock(), deps.policy)).resolves.toBeUndefined();
  });
});
