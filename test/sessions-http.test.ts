/**
 * Sessions that can be ended, over HTTP against the real handlers under serverless-offline, with
 * the real SDK reading and writing the local DynamoDB endpoint: each way of ending a session is
 * refused at the next refresh (the checkpoint), while /welcome stays a signature check by default.
 */
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { newUser } from "./support/accounts.ts";
import { Client, type Reply } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";
import { usersCommand } from "./support/users-command.ts";

let service: SharedService;

beforeAll(() => {
  service = sharedService();
});

/** A browser holding a token for a live session of `user`, already inside its refresh window. */
async function browserInWindow(user: string): Promise<{ browser: Client; token: string }> {
  const browser = new Client(service.baseUrl);
  const token = await liveToken(service.store, devKey(service.secrets), {
    now: nowSeconds() - 280,
    claims: { sub: user },
  });
  await browser.setToken(token);
  return { browser, token };
}

/** Whoever kept a copy of the token: a second cookie jar holding it. */
async function copyOf(token: string): Promise<Client> {
  const thief = new Client(service.baseUrl);
  await thief.setToken(token);
  return thief;
}

function expectRevoked(reply: Reply): void {
  expect(reply.status).toBe(401);
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.json()).toEqual({ error: "session_revoked", message: "The session was ended. Sign in again." });
  expect(reply.setCookies).toEqual([]);
}

function expectSignedOut(reply: Reply, message = "Signed out."): void {
  expect(reply.status).toBe(200);
  expect(reply.json()).toEqual({ message });
  // serverless-offline re-serializes cookies (order, an Expires date): compare the attributes.
  expect(reply.setCookies).toHaveLength(1);
  const attributes = String(reply.setCookies[0])
    .split(";")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => !part.startsWith("expires="))
    .sort();
  expect(attributes).toEqual(["httponly", "max-age=0", "path=/", "samesite=strict", "secure", "token="]);
}

const usersCli = (args: string[], input?: string) => usersCommand(service.dynamodb.url, service.config, args, input);

describe("sign-in", () => {
  it("records a session item named by a sid of at least 128 random bits carried in the token, and its token", async () => {
    const user = await newUser(service.store, "sess");
    const browser = new Client(service.baseUrl);
    expect((await browser.signIn(user, "password1")).status).toBe(200);
    const claims = decodeJwt(String(await browser.token()));

    expect(claims.sid).toMatch(/^[\w-]{22,}$/);
    expect(await service.store.getSession(String(claims.sid))).toEqual({
      sid: claims.sid,
      username: user,
      authTime: Number(claims.auth_time) * 1000,
      createdAt: expect.any(Number),
      expiresAt: (Number(claims.auth_time) + 86_400) * 1000,
      lastActiveAt: expect.any(Number),
      handle: expect.stringMatching(/^[\w-]{22}$/),
      device: expect.any(String),
      ip: "127.0.0.1",
      token: {
        jti: claims.jti,
        issuedAt: Number(claims.iat) * 1000,
        expiresAt: Number(claims.exp) * 1000,
        kid: devKey(service.secrets).kid,
      },
    });
  });
});

describe("POST /signup", () => {
  it("is closed by default: 403 signup_closed, no cookie, no user", async () => {
    const username = `closed-${process.pid}`;
    const reply = await new Client(service.baseUrl).request("POST", "/signup", {
      body: JSON.stringify({ username, password: "a long and quiet river" }),
      headers: { "content-type": "application/json" },
    });

    expect(reply.status).toBe(403);
    expect(reply.json()).toEqual({ error: "signup_closed", message: "Sign-up is closed on this service." });
    expect(reply.setCookies).toEqual([]);
    expect(await service.store.getUser(username)).toBeUndefined();
  });
});

describe("POST /refresh, the checkpoint", () => {
  it("keeps the sid and auth_time of a live session across a refresh", async () => {
    const { browser, token } = await browserInWindow(await newUser(service.store, "sess"));
    const reply = await browser.request("POST", "/refresh");

    expect(reply.status).toBe(200);
    const [before, after] = [decodeJwt(token), decodeJwt(String(await browser.token()))];
    expect([after.sid, after.auth_time]).toEqual([before.sid, before.auth_time]);
    expect(after.jti).not.toBe(before.jti);
  });

  it("refuses a token signed with the real key that names no session (a leaked-key forgery)", async () => {
    const forged = await mintToken(devKey(service.secrets), { now: nowSeconds() - 280 });
    expectRevoked(await (await copyOf(forged)).request("POST", "/refresh"));
  });

  it("refuses a forgery for a user that does not exist, even with a sid it made up", async () => {
    const forged = await mintToken(devKey(service.secrets), { now: nowSeconds() - 280, claims: { sub: "mallory" } });
    expectRevoked(await (await copyOf(forged)).request("POST", "/refresh"));
  });

  it("refuses a token whose sid names another user's session", async () => {
    const victim = decodeJwt((await browserInWindow(await newUser(service.store, "sess"))).token);
    const forged = await mintToken(devKey(service.secrets), {
      now: nowSeconds() - 280,
      claims: { sub: await newUser(service.store, "sess"), sid: victim.sid, auth_time: victim.auth_time },
    });
    expectRevoked(await (await copyOf(forged)).request("POST", "/refresh"));
  });
});

describe("ending one session", () => {
  it.each(["POST", "GET"])(
    "%s /logout ends the session: a kept copy of the token cannot be refreshed",
    async (verb) => {
      const { browser, token } = await browserInWindow(await newUser(service.store, "sess"));

      expectSignedOut(await browser.request(verb, "/logout"));
      expect(await service.store.getSession(String(decodeJwt(token).sid))).toBeUndefined();
      expectRevoked(await (await copyOf(token)).request("POST", "/refresh"));
    },
  );

  it("leaves the user's other sessions alone", async () => {
    const user = await newUser(service.store, "sess");
    const [first, second] = [await browserInWindow(user), await browserInWindow(user)];

    expectSignedOut(await first.browser.request("POST", "/logout"));
    expect((await second.browser.request("POST", "/refresh")).status).toBe(200);
  });

  it("still clears the cookie when it holds no valid token", async () => {
    const browser = await copyOf("not-a-token");
    expectSignedOut(await browser.request("POST", "/logout"));
  });

  it("keeps /welcome a signature check by default: an ended session's token greets until it expires", async () => {
    const { browser, token } = await browserInWindow(await newUser(service.store, "sess"));
    await browser.request("POST", "/logout");

    const reply = await (await copyOf(token)).request("GET", "/welcome");
    expect(reply.status).toBe(200);
  });
});

describe("POST /logout-everywhere", () => {
  it("ends every session of the user, on every device, and nobody else's", async () => {
    const [user, other] = [await newUser(service.store, "sess"), await newUser(service.store, "sess")];
    const [here, there, theirs] = [
      await browserInWindow(user),
      await browserInWindow(user),
      await browserInWindow(other),
    ];

    expectSignedOut(await here.browser.request("POST", "/logout-everywhere"), "Signed out everywhere.");
    expectRevoked(await there.browser.request("POST", "/refresh"));
    expectRevoked(await (await copyOf(here.token)).request("POST", "/refresh"));
    expect((await theirs.browser.request("POST", "/refresh")).status).toBe(200);
  });

  it("lets the user sign in again afterwards", async () => {
    const user = await newUser(service.store, "sess");
    const { browser } = await browserInWindow(user);
    await browser.request("POST", "/logout-everywhere");

    expect((await browser.signIn(user, "password1")).status).toBe(200);
    const { browser: later } = await browserInWindow(user);
    expect((await later.request("POST", "/refresh")).status).toBe(200);
  });

  it.each([
    ["a token kept after its session was logged out", true],
    ["a token signed with the real key that names no session (a leaked-key forgery)", false],
  ])("refuses %s with 401 session_revoked, and ends no other session", async (_name, loggedOut) => {
    const user = await newUser(service.store, "sess");
    const other = await browserInWindow(user);
    const kept = loggedOut
      ? (await browserInWindow(user)).token
      : await mintToken(devKey(service.secrets), { claims: { sub: user } });
    if (loggedOut) await (await copyOf(kept)).request("POST", "/logout");

    expectRevoked(await (await copyOf(kept)).request("POST", "/logout-everywhere"));
    expect((await other.browser.request("POST", "/refresh")).status).toBe(200);
  });

  it("answers 401 missing_token without a cookie", async () => {
    const reply = await new Client(service.baseUrl).request("POST", "/logout-everywhere");
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ error: "missing_token" });
    expect(reply.setCookies).toEqual([]);
  });
});

describe("npm run users, on the running service", () => {
  it("remove: the user's sessions are refused and they cannot sign in", async () => {
    const user = await newUser(service.store, "sess");
    const { browser } = await browserInWindow(user);

    const cli = await usersCli(["remove", user]);
    expect([cli.code, cli.output]).toEqual([0, expect.stringContaining(`removed user ${user}`)]);
    expectRevoked(await browser.request("POST", "/refresh"));
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(401);
  });

  it("passwd: the old sessions and the old password stop working, the new password works", async () => {
    const user = await newUser(service.store, "sess");
    const { browser } = await browserInWindow(user);

    const cli = await usersCli(["passwd", user], "a-new-password-2026\n");
    expect(cli.code).toBe(0);
    expect(cli.output).not.toContain("a-new-password-2026");
    expectRevoked(await browser.request("POST", "/refresh"));
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(401);
    expect((await new Client(service.baseUrl).signIn(user, "a-new-password-2026")).status).toBe(200);
  });

  it("add over an existing name: replaces the password and ends the user's sessions", async () => {
    const user = await newUser(service.store, "sess");
    const { browser } = await browserInWindow(user);

    const cli = await usersCli(["add", user], "a-new-password-2026\n");
    expect([cli.code, cli.output]).toEqual([0, expect.stringContaining(`replaced user ${user}`)]);
    expectRevoked(await browser.request("POST", "/refresh"));
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(401);
    expect((await new Client(service.baseUrl).signIn(user, "a-new-password-2026")).status).toBe(200);
  });

  it("revoke: every session of the user ends, the password still works", async () => {
    const user = await newUser(service.store, "sess");
    const [first, second] = [await browserInWindow(user), await browserInWindow(user)];

    const cli = await usersCli(["revoke", user]);
    expect([cli.code, cli.output]).toEqual([0, expect.stringContaining(`ended every session of ${user}`)]);
    expectRevoked(await first.browser.request("POST", "/refresh"));
    expectRevoked(await second.browser.request("POST", "/refresh"));
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(200);
  });

  it("list: names the users, never a hash", async () => {
    const user = await newUser(service.store, "sess");
    const cli = await usersCli(["list"]);
    expect(cli.code).toBe(0);
    expect(cli.output).toContain(user);
    expect(cli.output).toContain("user1");
    expect(cli.output).not.toContain("scrypt$");
  });

  it("unlock: lifts a lockout, so the right password signs in at once", async () => {
    const user = await newUser(service.store, "sess");
    for (let i = 0; i < 5; i++) await new Client(service.baseUrl).signIn(user, `guess-${i}`);
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(429);

    const cli = await usersCli(["unlock", user]);
    expect(cli.code).toBe(0);
    expect((await new Client(service.baseUrl).signIn(user, "password1")).status).toBe(200);
  });

  it("import: adds the users of an old users secret, keeping their hashes and the users already there", async () => {
    const [fresh, present] = [`imported-${process.pid}`, await newUser(service.store, "sess")];
    const secret = JSON.stringify({
      [fresh]: demoUsers.user2,
      [present]: demoUsers.user2,
      "bad name": demoUsers.user2,
    });

    const cli = await usersCli(["import"], secret);
    expect([cli.code, cli.output]).toEqual([0, expect.stringContaining("imported 1 user(s)")]);
    expect((await new Client(service.baseUrl).signIn(fresh, "password2")).status).toBe(200);
    expect((await new Client(service.baseUrl).signIn(present, "password1")).status).toBe(200);
  });

  it("refuses to revoke a user that does not exist", async () => {
    const cli = await usersCli(["revoke", "nobody-here"]);
    expect([cli.code, cli.output]).toEqual([1, expect.stringContaining("no user nobody-here")]);
  });
});
