/**
 * A refresh race over HTTP, through serverless-offline and the real SDK on local DynamoDB: ten
 * parallel refreshes of one token (tabs, retries, double clicks) all land on one new cookie, and
 * the session then knows that cookie's token as its newest.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { newUser } from "./support/accounts.ts";
import { Client } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let service: SharedService;
/** A user of this file alone: another file's sign-ins of a shared user could end its sessions. */
let user: string;

beforeAll(async () => {
  service = sharedService();
  user = await newUser(service.store, "race");
});

/** A token with 20 s left whose session records it as its newest, as sign-in does. */
async function newestTokenInWindow(): Promise<string> {
  const key = devKey(service.secrets);
  const [iat, jti, sid] = [nowSeconds() - 280, randomUUID(), randomBytes(16).toString("base64url")];
  await service.store.putSession({
    sid,
    username: user,
    authTime: iat * 1000,
    createdAt: Date.now(), // after the user's sessionsValidAfter
    expiresAt: (iat + 86_400) * 1000,
    lastActiveAt: iat * 1000,
    token: { jti, issuedAt: iat * 1000, expiresAt: (iat + 300) * 1000, kid: key.kid },
    handle: randomBytes(16).toString("base64url"),
    device: "Chrome on Linux",
    ip: "127.0.0.1",
  });
  return mintToken(key, { now: iat, claims: { sub: user, jti, sid } });
}

async function tenParallelRefreshes(token: string) {
  const tabs = Array.from({ length: 10 }, () => new Client(service.baseUrl));
  await Promise.all(tabs.map((tab) => tab.setToken(token)));
  const replies = await Promise.all(tabs.map((tab) => tab.request("POST", "/refresh")));
  const cookies = await Promise.all(tabs.map((tab) => tab.token()));
  return { statuses: replies.map((reply) => reply.status), cookies: new Set(cookies) };
}

describe("ten parallel refreshes of one token", () => {
  it("all answer 200 with one identical cookie, the session's newest token", async () => {
    const token = await newestTokenInWindow();

    const { statuses, cookies } = await tenParallelRefreshes(token);

    expect(statuses).toEqual(Array(10).fill(200));
    expect(cookies.size).toBe(1);
    const [successor] = [...cookies];
    expect(successor).not.toBe(token);
    const stored = await service.store.getSession(String(decodeJwt(token).sid));
    expect(stored).toMatchObject({
      token: { jti: decodeJwt(String(successor)).jti },
      superseded: { jti: decodeJwt(token).jti },
    });
  });

  it("do so for a session item of an earlier release, which recorded no token", async () => {
    const token = await liveToken(service.store, devKey(service.secrets), {
      now: nowSeconds() - 280,
      claims: { sub: user },
    });

    const { statuses, cookies } = await tenParallelRefreshes(token);

    expect(statuses).toEqual(Array(10).fill(200));
    expect(cookies.size).toBe(1);
  });
});
