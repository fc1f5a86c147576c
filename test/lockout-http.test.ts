/**
 * Sign-in lockout over HTTP, against the real handlers and the local DynamoDB endpoint, with
 * SIGNIN_MAX_FAILURES=3: known and unknown usernames get the same answers, a success resets the
 * count, and the clock is moved by arranging the counter's item rather than by waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { nowSeconds } from "./support/tokens.ts";

let service: Service;

beforeAll(async () => {
  service = await startService({ env: { SIGNIN_MAX_FAILURES: "3" } });
});

afterAll(async () => {
  await service?.stop();
});

let users = 0;
/** A user of this test alone (the demo hash: password1), and a name nobody has. */
async function names(): Promise<{ known: string; unknown: string }> {
  const n = users++;
  const known = `lock-${process.pid}-${n}`;
  await service.store.addUser(known, demoUsers.user1, Date.now());
  return { known, unknown: `ghost-${process.pid}-${n}` };
}

const signIn = (username: string, password: string) => new Client(service.baseUrl).signIn(username, password);

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
    expect(await service.store.getAttempts(known)).toBeUndefined();

    await signIn(known, "guess-3");
    await signIn(known, "guess-4");
    expect((await signIn(known, "password1")).status).toBe(200);
  });

  it("admits one attempt once the lock is over, and doubles the lock after it fails", async () => {
    const { known } = await names();
    const now = nowSeconds() * 1000; // the store counts epoch milliseconds
    // Three failures whose 30 s lock ended a second ago.
    await service.store.putAttempts(known, undefined, {
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
    await service.store.putAttempts(known, undefined, {
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
