/**
 * Sign-in lockout, POST /password and POST /signup with SIGNUP=open and SIGNIN_MAX_FAILURES=3:
 * the real handlers in this process, driven by a cookie jar as a browser would drive them, on the
 * local DynamoDB endpoint through the real SDK. Known and unknown usernames get the same answers,
 * a success resets the count, and the clock is moved by arranging the counter's item rather than
 * by waiting. (The routes through the gateway: test/account-http.test.ts, test/http.test.ts.)
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionEnded } from "../shared/core/session.ts";
import { changePassword, newUser } from "./support/accounts.ts";
import type { Reply } from "./support/client.ts";
import { loadContainer } from "./support/in-process.ts";
import { devKey, liveToken, nowSeconds } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;

beforeAll(async () => {
  container = await loadContainer({ SIGNUP: "open", SIGNIN_MAX_FAILURES: "3" });
});

afterAll(async () => {
  await container?.stop();
});

/** A user of this test alone (the demo hash: password1), and a name nobody has. */
async function names(): Promise<{ known: string; unknown: string }> {
  const known = await newUser(container.store, "lock");
  return { known, unknown: known.replace(/^lock-/, "ghost-") };
}

const signIn = (username: string, password: string) => container.client().signIn(username, password);

/**
 * What a client can observe of an answer, less the time it takes. Retry-After counts down with
 * the clock, so two answers a second apart differ by one: it is kept as whether it lies in the
 * first lockout's 30 s.
 */
function observable(reply: Reply) {
  const retryAfter = reply.headers.get("retry-after");
  return {
    status: reply.status,
    body: reply.json(),
    retryAfter: retryAfter === null ? null : Number(retryAfter) >= 28 && Number(retryAfter) <= 30,
    setCookies: reply.setCookies,
  };
}

function expectLocked(reply: Reply, retryAfter: number): void {
  expect(reply.status).toBe(429);
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.json()).toEqual({
    error: "too_many_attempts",
    message: "Too many failed sign-ins for this username. Try again later.",
  });
  // The lock started at most a second or two ago.
  expect(Number(reply.headers.get("retry-after"))).toBeGreaterThanOrEqual(retryAfter - 2);
  expect(Number(reply.headers.get("retry-after"))).toBeLessThanOrEqual(retryAfter);
  expect(reply.setCookies).toEqual([]);
}

describe("sign-in lockout", () => {
  it("answers 429 too_many_attempts with Retry-After after 3 failures, even to the right password", async () => {
    const { known } = await names();
    for (const guess of ["guess-1", "guess-2", "guess-3"]) expect((await signIn(known, guess)).status).toBe(401);

    expectLocked(await signIn(known, "password1"), 30);
  });

  it("counts and locks an unknown username exactly like a known one", async () => {
    const { known, unknown } = await names();
    const seen: Record<string, unknown[]> = { known: [], unknown: [] };
    for (const password of ["guess-1", "guess-2", "guess-3", "password1", "guess-5"]) {
      seen.known?.push(observable(await signIn(known, password)));
      seen.unknown?.push(observable(await signIn(unknown, password)));
    }

    expect(seen.unknown).toEqual(seen.known);
    expect((seen.known as { status: number }[]).map((reply) => reply.status)).toEqual([401, 401, 401, 429, 429]);
  });

  it("resets the count on a successful sign-in", async () => {
    const { known } = await names();
    await signIn(known, "guess-1");
    await signIn(known, "guess-2");
    expect((await signIn(known, "password1")).status).toBe(200);
    expect(await container.store.getAttempts(known)).toBeUndefined();

    await signIn(known, "guess-3");
    await signIn(known, "guess-4");
    expect((await signIn(known, "password1")).status).toBe(200);
  });

  it("admits one attempt once the lock is over, and doubles the lock after it fails", async () => {
    const { known } = await names();
    const now = nowSeconds() * 1000; // the store counts epoch milliseconds
    // Three failures whose 30 s lock ended a second ago.
    await container.store.putAttempts(known, undefined, {
      failures: 3,
      lockedUntil: now - 1000,
      expiresAt: now + 3_600_000,
    });

    expect((await signIn(known, "guess-4")).status).toBe(401);
    expectLocked(await signIn(known, "password1"), 60);
  });

  it("forgets a counter past its expiry even before DynamoDB's TTL deletes it", async () => {
    const { known } = await names();
    const now = nowSeconds() * 1000; // the store counts epoch milliseconds
    await container.store.putAttempts(known, undefined, {
      failures: 9,
      lockedUntil: now + 600_000,
      expiresAt: now - 1000,
    });

    expect((await signIn(known, "password1")).status).toBe(200);
  });

  it("locks one username without touching another", async () => {
    const [victim, bystander] = [await names(), await names()];
    for (const guess of ["guess-1", "guess-2", "guess-3"]) await signIn(victim.known, guess);

    expect((await signIn(victim.known, "password1")).status).toBe(429);
    expect((await signIn(bystander.known, "password1")).status).toBe(200);
  });
});

const NEW_PASSWORD = "a long and quiet river";

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });

function expectRefusal(reply: Reply, status: number, error: string): void {
  expect(reply.status).toBe(status);
  expect(reply.json()).toEqual({ error, message: expect.any(String) });
  expect(reply.setCookies).toEqual([]);
}

describe("POST /password", () => {
  it("ends the other device's session (its next refresh is session_revoked) and keeps this one signed in", async () => {
    const user = await newUser(container.store, "acct");
    const other = container.client();
    await other.setToken(
      await liveToken(container.store, devKey(container.secrets), { now: nowSeconds() - 280, claims: { sub: user } }),
    );
    const mine = container.client();
    expect((await mine.signIn(user, "password1")).status).toBe(200);
    const before = await mine.token();

    const reply = await changePassword(mine, "password1", NEW_PASSWORD);

    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ username: user, expiresInSeconds: 300, refreshInSeconds: 270 });
    expect(reply.setCookies).toHaveLength(1);
    const after = String(await mine.token());
    expect(after).not.toBe(before);
    expectRefusal(await other.request("POST", "/refresh"), 401, "session_revoked");
    expect((await mine.request("GET", "/welcome")).text).toBe(`Welcome ${user}!`);
    const sid = String(decodeJwt(after).sid);
    const [record, stored] = [await container.store.getSession(sid), await container.store.getUser(user)];
    expect(
      sessionEnded({ user, sid, authTime: Number(decodeJwt(after).auth_time) * 1000 }, record, stored, Date.now()),
    ).toBe(false);
  });

  it("counts wrong current passwords toward the sign-in lockout: after 3, both routes answer 429", async () => {
    const user = await newUser(container.store, "acct");
    const browser = container.client();
    await browser.signIn(user, "password1");

    for (const guess of ["guess-1", "guess-2", "guess-3"]) {
      expectRefusal(await changePassword(browser, guess, NEW_PASSWORD), 401, "invalid_credentials");
    }

    const locked = await changePassword(browser, "password1", NEW_PASSWORD);
    expectRefusal(locked, 429, "too_many_attempts");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expectRefusal(await container.client().signIn(user, "password1"), 429, "too_many_attempts");
  });
});

describe("POST /signup with SIGNUP=open", () => {
  it("creates the account: 201, the session cookie, and the cookie works", async () => {
    const username = `signup-${process.pid}`;
    const browser = container.client();

    const reply = await browser.request("POST", "/signup", json({ username, password: NEW_PASSWORD }));

    expect(reply.status).toBe(201);
    expect(reply.json()).toMatchObject({ username, expiresInSeconds: 300 });
    expect(reply.setCookies).toHaveLength(1);
    expect((await browser.request("GET", "/welcome")).text).toBe(`Welcome ${username}!`);
  });

  it("answers 409 username_taken for a name in use", async () => {
    const reply = await container
      .client()
      .request("POST", "/signup", json({ username: "user1", password: NEW_PASSWORD }));

    expectRefusal(reply, 409, "username_taken");
  });
});
