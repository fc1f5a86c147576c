/**
 * A user's sessions, the real handlers in this process driven by cookie jars as browsers would
 * drive them, on the local DynamoDB with its index by username: two jars with their own
 * User-Agent as two devices, the limit, refusals, and the operators' CLI. REVOCATION_CHECK=
 * every-request, so an ended session is refused at /welcome at once; a 60 s token with a 59 s
 * window lets its refresh be tried a second after sign-in. The routes over the gateway:
 * test/user-sessions-http.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, sessionsOf } from "./support/accounts.ts";
import type { Client, Reply } from "./support/client.ts";
import { loadContainer } from "./support/in-process.ts";
import { usersCommand } from "./support/users-command.ts";

const CHROME_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0";

let container: Awaited<ReturnType<typeof loadContainer>>;

beforeAll(async () => {
  container = await loadContainer({
    REVOCATION_CHECK: "every-request",
    MAX_SESSIONS_PER_USER: "2",
    TOKEN_TTL_SECONDS: "60",
    REFRESH_WINDOW_SECONDS: "59",
  });
});

afterAll(async () => {
  await container?.stop();
});

/** A browser with its own User-Agent: every request sends it. */
type Device = Client;

async function signedIn(user: string, agent: string): Promise<Device> {
  const device = container.client({ userAgent: agent });
  expect((await device.signIn(user, "password1")).status).toBe(200);
  return device;
}

function expectError(reply: Reply, status: number, error: string): void {
  expect(reply.status).toBe(status);
  expect(reply.json()).toMatchObject({ error });
}

describe("two devices of one user", () => {
  it("one ends the other, which is refused at once at /welcome and at its next refresh", async () => {
    const user = await newUser(container.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const desktop = await signedIn(user, FIREFOX_WINDOWS);
    const other = (await sessionsOf(laptop)).find((s) => !s.current);

    const ended = await laptop.request("DELETE", `/sessions/${other?.id}`);

    expect([ended.status, ended.json(), ended.setCookies]).toEqual([200, { message: "Session ended." }, []]);
    expectError(await desktop.request("GET", "/welcome"), 401, "session_revoked");
    await expect
      .poll(async () => (await desktop.request("POST", "/refresh")).json().error, { timeout: 5000, interval: 250 })
      .toBe("session_revoked");
    expect((await sessionsOf(laptop)).map((s) => s.current)).toEqual([true]);
    expect((await laptop.request("GET", "/welcome")).status).toBe(200);
  });

  it("signs out of every other session, keeping this one", async () => {
    const user = await newUser(container.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const desktop = await signedIn(user, FIREFOX_WINDOWS);

    const reply = await laptop.request("POST", "/logout-others");

    expect([reply.status, reply.json()]).toEqual([200, { message: "Signed out of every other session.", ended: 1 }]);
    expectError(await desktop.request("GET", "/welcome"), 401, "session_revoked");
    expect((await laptop.request("GET", "/welcome")).status).toBe(200);
  });
});

describe("refusals", () => {
  it("answers another user's session and an unknown id alike (404), and ends neither", async () => {
    const [alice, bob] = [await newUser(container.store, "devices"), await newUser(container.store, "devices")];
    const mallory = await signedIn(alice, CHROME_LINUX);
    const victim = await signedIn(bob, FIREFOX_WINDOWS);
    const [victimSession] = await sessionsOf(victim);

    const theirs = await mallory.request("DELETE", `/sessions/${victimSession?.id}`);
    const unknown = await mallory.request("DELETE", `/sessions/${"x".repeat(22)}`);

    expect(theirs.json()).toEqual({ error: "session_not_found", message: "No such session is signed in." });
    expect([theirs.status, unknown.status, unknown.text]).toEqual([404, 404, theirs.text]);
    expect((await victim.request("GET", "/welcome")).status).toBe(200);
  });

  it("refuses another site's page (403) and a request without a session (401)", async () => {
    const user = await newUser(container.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const desktop = await signedIn(user, FIREFOX_WINDOWS);
    const other = (await sessionsOf(laptop)).find((s) => !s.current);
    const crossSite = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

    expectError(
      await laptop.request("DELETE", `/sessions/${other?.id}`, { headers: crossSite }),
      403,
      "cross_site_request",
    );
    expectError(await laptop.request("POST", "/logout-others", { headers: crossSite }), 403, "cross_site_request");
    expectError(await container.client().request("GET", "/sessions"), 401, "missing_token");
    expect((await desktop.request("GET", "/welcome")).status).toBe(200);
  });
});

describe("MAX_SESSIONS_PER_USER=2", () => {
  it("a third sign-in ends the least recently active session", async () => {
    const user = await newUser(container.store, "devices");
    const first = await signedIn(user, CHROME_LINUX);
    const second = await signedIn(user, FIREFOX_WINDOWS);
    const third = await signedIn(user, CHROME_LINUX);

    expectError(await first.request("GET", "/welcome"), 401, "session_revoked");
    expect((await second.request("GET", "/welcome")).status).toBe(200);
    expect((await sessionsOf(third)).map((s) => s.device)).toEqual(["Chrome on Linux", "Firefox on Windows"]);
  });
});

describe("npm run users", () => {
  const usersCli = (args: string[]) => usersCommand(container.dynamodb.url, container.runtime.config, args);

  it("lists a user's sessions, ends one by its id, and counts live sessions in list", async () => {
    const user = await newUser(container.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const [session] = await sessionsOf(laptop);

    const listed = await usersCli(["sessions", user]);
    expect(listed.code).toBe(0);
    expect(listed.output).toContain(`${session?.id}\tChrome on Linux\t127.0.0.1\tsigned in ${session?.signedInAt}`);
    expect((await usersCli(["list"])).output).toMatch(new RegExp(`${user}\\t1 live session\\(s\\)`));

    expect((await usersCli(["end-session", user, String(session?.id)])).code).toBe(0);
    expectError(await laptop.request("GET", "/welcome"), 401, "session_revoked");
    expect((await usersCli(["end-session", user, String(session?.id)])).code).toBe(1);
  });
});
