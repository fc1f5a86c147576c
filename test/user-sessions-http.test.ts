/**
 * GET /sessions over HTTP, against the real handlers under the shared serverless-offline service
 * and the local DynamoDB with its index by username: two cookie jars as two devices, their
 * User-Agent and address through the gateway. What the routes do (ending sessions, the limit,
 * refusals, the operators' CLI) is asserted in process: test/user-sessions-handlers.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, sessionsOf } from "./support/accounts.ts";
import { Client } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";

const CHROME_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0";

let service: SharedService;

beforeAll(() => {
  service = sharedService();
});

/** A browser with its own User-Agent: every request sends it. */
class Device extends Client {
  constructor(
    baseUrl: string,
    readonly userAgent: string,
  ) {
    super(baseUrl);
  }

  override request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
    return super.request(method, path, { ...init, headers: { "user-agent": this.userAgent, ...init.headers } });
  }
}

async function signedIn(user: string, agent: string): Promise<Device> {
  const device = new Device(service.baseUrl, agent);
  expect((await device.signIn(user, "password1")).status).toBe(200);
  return device;
}

describe("two devices of one user", () => {
  it("each sees both sessions, with device, address and times, and which one it is", async () => {
    const user = await newUser(service.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const desktop = await signedIn(user, FIREFOX_WINDOWS);

    const seen = await sessionsOf(laptop);
    expect(seen).toEqual([
      {
        id: expect.stringMatching(/^[\w-]{22}$/),
        current: false,
        device: "Firefox on Windows",
        ip: "127.0.0.1",
        signedInAt: expect.stringMatching(/Z$/),
        lastActiveAt: expect.stringMatching(/Z$/),
      },
      expect.objectContaining({ current: true, device: "Chrome on Linux" }),
    ]);
    const fromDesktop = await sessionsOf(desktop);
    expect(fromDesktop.map((s) => [s.id, s.current])).toEqual(seen.map((s) => [s.id, !s.current]));
    expect(JSON.stringify(seen)).not.toContain(String(await laptop.token()).split(".")[1]);
  });

  it("DELETE /sessions/{id} reaches the function with its id: the other session ends", async () => {
    const user = await newUser(service.store, "devices");
    const laptop = await signedIn(user, CHROME_LINUX);
    const desktop = await signedIn(user, FIREFOX_WINDOWS);
    const other = (await sessionsOf(laptop)).find((s) => !s.current);

    const ended = await laptop.request("DELETE", `/sessions/${other?.id}`);

    expect([ended.status, ended.json(), ended.setCookies]).toEqual([200, { message: "Session ended." }, []]);
    expect((await sessionsOf(laptop)).map((s) => s.current)).toEqual([true]);
    expect((await desktop.request("POST", "/logout-others")).json()).toMatchObject({ error: "session_revoked" });
  });
});
