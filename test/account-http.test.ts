/**
 * POST /password and POST /signup over HTTP, against the real handlers under serverless-offline
 * with SIGNUP=open and SIGNIN_MAX_FAILURES=3: the routes, the cookies through the gateway, and
 * the tables they change. (Sign-up closed by default: test/sessions-http.test.ts.)
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { sessionEnded } from "../shared/core/session.ts";
import { Client, type Reply } from "./support/client.ts";
import { type Service, startService } from "./support/service.ts";
import { devKey, liveToken, nowSeconds } from "./support/tokens.ts";

let service: Service;

beforeAll(async () => {
  service = await startService({ env: { SIGNUP: "open", SIGNIN_MAX_FAILURES: "3" } });
});

afterAll(async () => {
  await service?.stop();
});

const NEW_PASSWORD = "a long and quiet river";

let users = 0;
/** A user of this test alone (the demo hash: password1). */
async function newUser(): Promise<string> {
  const name = `acct-${process.pid}-${users++}`;
  await service.store.addUser(name, demoUsers.user1, Date.now() - 1000);
  return name;
}

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });
const changePassword = (browser: Client, currentPassword: string, newPassword = NEW_PASSWORD) =>
  browser.request("POST", "/password", json({ currentPassword, newPassword }));

function expectRefusal(reply: Reply, status: number, error: string): void {
  expect(reply.status).toBe(status);
  expect(reply.json()).toEqual({ error, message: expect.any(String) });
  expect(reply.setCookies).toEqual([]);
}

describe("POST /password", () => {
  it("ends the other device's session (its next refresh is session_revoked) and keeps this one signed in", async () => {
    const user = await newUser();
    const other = new Client(service.baseUrl);
    await other.setToken(
      await liveToken(service.store, devKey(service.secrets), { now: nowSeconds() - 280, claims: { sub: user } }),
    );
    const mine = new Client(service.baseUrl);
    expect((await mine.signIn(user, "password1")).status).toBe(200);
    const before = await mine.token();

    const reply = await changePassword(mine, "password1");

    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ username: user, expiresInSeconds: 300, refreshInSeconds: 270 });
    expect(reply.setCookies).toHaveLength(1);
    const after = String(await mine.token());
    expect(after).not.toBe(before);
    expectRefusal(await other.request("POST", "/refresh"), 401, "session_revoked");
    expect((await mine.request("GET", "/welcome")).text).toBe(`Welcome ${user}!`);
    const sid = String(decodeJwt(after).sid);
    const [record, stored] = [await service.store.getSession(sid), await service.store.getUser(user)];
    expect(
      sessionEnded({ user, sid, authTime: Number(decodeJwt(after).auth_time) * 1000 }, record, stored, Date.now()),
    ).toBe(false);
  });

  it("makes the old password stop working and the new one sign in", async () => {
    const user = await newUser();
    const browser = new Client(service.baseUrl);
    await browser.signIn(user, "password1");

    expect((await changePassword(browser, "password1")).status).toBe(200);

    expectRefusal(await new Client(service.baseUrl).signIn(user, "password1"), 401, "invalid_credentials");
    expect((await new Client(service.baseUrl).signIn(user, NEW_PASSWORD)).status).toBe(200);
  });

  it("counts wrong current passwords toward the sign-in lockout: after 3, both routes answer 429", async () => {
    const user = await newUser();
    const browser = new Client(service.baseUrl);
    await browser.signIn(user, "password1");

    for (const guess of ["guess-1", "guess-2", "guess-3"]) {
      expectRefusal(await changePassword(browser, guess), 401, "invalid_credentials");
    }

    const locked = await changePassword(browser, "password1");
    expectRefusal(locked, 429, "too_many_attempts");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expectRefusal(await new Client(service.baseUrl).signIn(user, "password1"), 429, "too_many_attempts");
  });
});

describe("POST /signup with SIGNUP=open", () => {
  it("creates the account: 201, the session cookie, and the cookie works", async () => {
    const username = `signup-${process.pid}`;
    const browser = new Client(service.baseUrl);

    const reply = await browser.request("POST", "/signup", json({ username, password: NEW_PASSWORD }));

    expect(reply.status).toBe(201);
    expect(reply.json()).toMatchObject({ username, expiresInSeconds: 300 });
    expect(reply.setCookies).toHaveLength(1);
    expect((await browser.request("GET", "/welcome")).text).toBe(`Welcome ${username}!`);
  });

  it("answers 409 username_taken for a name in use", async () => {
    const reply = await new Client(service.baseUrl).request(
      "POST",
      "/signup",
      json({ username: "user1", password: NEW_PASSWORD }),
    );

    expectRefusal(reply, 409, "username_taken");
  });
});
