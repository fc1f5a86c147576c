/**
 * POST /password over HTTP, against the real handlers under the shared serverless-offline service:
 * the route and its cookies through the gateway. What the route does (other sessions ended, the
 * lockout it counts toward, sign-up with SIGNUP=open) is asserted in process:
 * test/lockout-handlers.test.ts and test/account-handlers.test.ts. (Sign-up closed by default:
 * test/sessions-http.test.ts.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { changePassword, newUser } from "./support/accounts.ts";
import { Client, type Reply } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";

let service: SharedService;

beforeAll(() => {
  service = sharedService();
});

const NEW_PASSWORD = "a long and quiet river";

function expectRefusal(reply: Reply, status: number, error: string): void {
  expect(reply.status).toBe(status);
  expect(reply.json()).toEqual({ error, message: expect.any(String) });
  expect(reply.setCookies).toEqual([]);
}

describe("POST /password", () => {
  it("makes the old password stop working and the new one sign in", async () => {
    const user = await newUser(service.store, "acct");
    const browser = new Client(service.baseUrl);
    await browser.signIn(user, "password1");
    const before = await browser.token();

    const reply = await changePassword(browser, "password1", NEW_PASSWORD);

    expect(reply.status).toBe(200);
    expect(reply.setCookies).toHaveLength(1);
    expect(await browser.token()).not.toBe(before);
    expect((await browser.request("GET", "/welcome")).text).toBe(`Welcome ${user}!`);
    expectRefusal(await new Client(service.baseUrl).signIn(user, "password1"), 401, "invalid_credentials");
    expect((await new Client(service.baseUrl).signIn(user, NEW_PASSWORD)).status).toBe(200);
  });
});
