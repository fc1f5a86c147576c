/**
 * Refresh as a chain of tokens, in memory with a moved clock: each session knows its newest token;
 * refreshes of one token within REFRESH_GRACE_SECONDS share one successor (tabs, retries); a
 * superseded token presented after the grace is a stolen copy and ends the session.
 */
import { decodeJwt } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../shared/core/config.ts";
import { checkSession, refreshSession, type SessionDeps, signIn } from "../shared/core/session.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { MemoryKeyRing, MemoryStore, testPasswords } from "./support/memory-store.ts";

const SIGNED_IN_AT = 1_800_000_000_000; // epoch ms, a whole second
const SECOND = 1000;
const IN_WINDOW = SIGNED_IN_AT + 280 * SECOND; // 20 s left of a 300 s token
const requester = { ip: "198.51.100.7", device: "Firefox on Linux" };

let passwordHash: string;
let now: number;
let store: MemoryStore;
let keys: MemoryKeyRing;
let logLines: string[];

beforeAll(async () => {
  passwordHash = await testPasswords.hash("password1");
});

beforeEach(async () => {
  now = SIGNED_IN_AT;
  store = new MemoryStore();
  store.users.set("user1", { username: "user1", passwordHash, sessionsValidAfter: 0 });
  keys = await MemoryKeyRing.create();
  logLines = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function deps(env: Record<string, string> = {}): SessionDeps {
  return { keys, store, passwords: testPasswords, clock: () => now, policy: loadConfig(env) };
}

async function signedIn(env: Record<string, string> = {}): Promise<string> {
  const issued = await signIn(deps(env), { username: "user1", password: "password1" }, requester);
  return issued.token;
}

const jtiOf = (token: string) => String(decodeJwt(token).jti);
const sidOf = (token: string) => String(decodeJwt(token).sid);
const reuseEvents = () => logLines.map((line) => JSON.parse(line)).filter((r) => r.message === "refresh reuse");
const revoked = expect.objectContaining({ status: 401, code: "session_revoked" });

describe("the newest token", () => {
  it("is recorded at sign-in, with lastActiveAt", async () => {
    const token = await signedIn();

    expect(store.sessions.get(sidOf(token))).toMatchObject({
      lastActiveAt: SIGNED_IN_AT,
      token: { jti: jtiOf(token), issuedAt: SIGNED_IN_AT, expiresAt: SIGNED_IN_AT + 300 * SECOND },
    });
    expect(store.sessions.get(sidOf(token))?.superseded).toBeUndefined();
  });

  it("refreshes with one conditional write that records its successor and lastActiveAt", async () => {
    const token = await signedIn();
    now = IN_WINDOW + 123;
    store.calls.length = 0;

    const successor = await refreshSession(deps(), token, requester);

    expect(store.calls.filter((call) => !call.startsWith("get"))).toEqual(["supersedeToken"]);
    expect(store.sessions.get(sidOf(token))).toMatchObject({
      lastActiveAt: IN_WINDOW + 123,
      token: { jti: jtiOf(successor.token), issuedAt: IN_WINDOW, kid: successor.kid },
      superseded: { jti: jtiOf(token), at: IN_WINDOW + 123 },
    });
    expect(jtiOf(successor.token)).not.toBe(jtiOf(token));
  });

  it("keeps refusing a refresh before the window, writing nothing", async () => {
    const token = await signedIn();
    now = SIGNED_IN_AT + 200 * SECOND;
    store.calls.length = 0;

    await expect(refreshSession(deps(), token, requester)).rejects.toMatchObject({
      status: 400,
      code: "refresh_too_early",
    });
    expect(store.calls).toEqual([]);
  });
});

describe("within the grace", () => {
  it("gives the same token again the identical successor, byte for byte, without writing", async () => {
    const token = await signedIn();
    now = IN_WINDOW;
    const first = await refreshSession(deps(), token, requester);
    now = IN_WINDOW + 9_999;
    store.calls.length = 0;

    const again = await refreshSession(deps(), token, requester);

    expect(again).toEqual(first);
    expect(store.calls.filter((call) => !call.startsWith("get"))).toEqual([]);
  });

  it("lands ten parallel refreshes of one token on one successor, written once", async () => {
    const token = await signedIn();
    now = IN_WINDOW;
    store.calls.length = 0;

    const all = await Promise.all(Array.from({ length: 10 }, () => refreshSession(deps(), token, requester)));

    expect(new Set(all.map((issued) => issued.token)).size).toBe(1);
    expect(store.sessions.get(sidOf(token))?.token?.jti).toBe(all[0]?.jti);
    expect(reuseEvents()).toEqual([]);
  });

  it("signs the successor again with the key that signed it, after a rotation", async () => {
    const token = await signedIn();
    now = IN_WINDOW;
    const first = await refreshSession(deps(), token, requester);
    await keys.rotate();

    expect((await refreshSession(deps(), token, requester)).token).toBe(first.token);
  });

  it("lets every-request checks pass the superseded token", async () => {
    const token = await signedIn();
    now = IN_WINDOW;
    await refreshSession(deps(), token, requester);
    now += 5 * SECOND;

    await expect(checkSession(deps({ REVOCATION_CHECK: "every-request" }), token)).resolves.toMatchObject({
      user: "user1",
    });
  });
});

describe("after the grace", () => {
  async function refreshedThenLate(env: Record<string, string> = {}) {
    const token = await signedIn(env);
    now = IN_WINDOW;
    const successor = await refreshSession(deps(env), token, requester);
    now = IN_WINDOW + 10 * SECOND;
    return { token, successor: successor.token };
  }

  it("ends the session when the superseded token is refreshed again, and refuses the successor too", async () => {
    const { token, successor } = await refreshedThenLate();

    await expect(refreshSession(deps(), token, requester)).rejects.toEqual(revoked);
    expect(store.sessions.has(sidOf(token))).toBe(false);
    now = SIGNED_IN_AT + 575 * SECOND; // the successor's own window
    await expect(refreshSession(deps(), successor, requester)).rejects.toEqual(revoked);
  });

  it("logs one warning naming user, session handle, source IP and device, never the token or the sid", async () => {
    const { token } = await refreshedThenLate();

    await expect(refreshSession(deps(), token, requester)).rejects.toEqual(revoked);

    expect(reuseEvents()).toEqual([
      {
        level: "warn",
        message: "refresh reuse",
        user: "user1",
        session: expect.stringMatching(/^[\w-]{22}$/),
        ip: "198.51.100.7",
        device: "Firefox on Linux",
      },
    ]);
    const logged = logLines.join("");
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(sidOf(token));
    expect(logged).not.toContain(jtiOf(token));
  });

  it("ends the session for a token two generations back, even within its grace", async () => {
    // Short tokens with a wide window, so that the first token still verifies two refreshes on.
    const env = { TOKEN_TTL_SECONDS: "20", REFRESH_WINDOW_SECONDS: "15" };
    const token = await signedIn(env);
    now = SIGNED_IN_AT + 6 * SECOND;
    const second = await refreshSession(deps(env), token, requester);
    now = SIGNED_IN_AT + 12 * SECOND;
    await refreshSession(deps(env), second.token, requester);

    await expect(refreshSession(deps(env), token, requester)).rejects.toEqual(revoked);
    expect(store.sessions.size).toBe(0);
  });

  it("treats any second refresh as reuse with REFRESH_GRACE_SECONDS=0", async () => {
    const env = { REFRESH_GRACE_SECONDS: "0" };
    const token = await signedIn(env);
    now = IN_WINDOW;
    await refreshSession(deps(env), token, requester);

    await expect(refreshSession(deps(env), token, requester)).rejects.toEqual(revoked);
    expect(store.sessions.size).toBe(0);
  });

  it("refuses the superseded token on every check with REVOCATION_CHECK=every-request", async () => {
    const env = { REVOCATION_CHECK: "every-request" };
    const { token, successor } = await refreshedThenLate(env);

    await expect(checkSession(deps(env), token)).rejects.toEqual(revoked);
    await expect(checkSession(deps(env), successor)).resolves.toMatchObject({ user: "user1" });
  });

  it("passes the superseded token by signature alone in the default mode", async () => {
    const { token } = await refreshedThenLate();

    await expect(checkSession(deps(), token)).resolves.toMatchObject({ user: "user1" });
  });
});

describe("what refresh kept", () => {
  it("accepts the first refresh of a session item written before tokens were recorded, and records it", async () => {
    const token = await signedIn();
    const sid = sidOf(token);
    const { token: _recorded, lastActiveAt: _active, ...older } = store.sessions.get(sid) ?? ({} as never);
    store.sessions.set(sid, older);
    now = IN_WINDOW;

    const [a, b] = await Promise.all([
      refreshSession(deps(), token, requester),
      refreshSession(deps(), token, requester),
    ]);

    expect(b.token).toBe(a.token);
    expect(store.sessions.get(sid)).toMatchObject({ token: { jti: a.jti }, superseded: { jti: jtiOf(token) } });
  });

  it("refuses a session ended by logout everywhere", async () => {
    const token = await signedIn();
    store.users.set("user1", { username: "user1", passwordHash, sessionsValidAfter: SIGNED_IN_AT + 1 });
    now = IN_WINDOW;

    await expect(refreshSession(deps(), token, requester)).rejects.toEqual(revoked);
    expect(reuseEvents()).toEqual([]);
  });

  it("issues nothing when the store fails at the conditional write", async () => {
    const token = await signedIn();
    now = IN_WINDOW;
    store.failingOn.set("supersedeToken", "before");

    await expect(refreshSession(deps(), token, requester)).rejects.toMatchObject({
      status: 503,
      code: "service_unavailable",
    });
    store.failingOn.clear();
    expect(store.sessions.get(sidOf(token))?.token?.jti).toBe(jtiOf(token));
    await expect(refreshSession(deps(), token, requester)).resolves.toMatchObject({ user: "user1" });
  });
});
