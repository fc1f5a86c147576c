/**
 * SESSION_COOKIE_NAME=__Host-token, through the real handlers in one container: every route
 * writes, reads and clears that name only, so a `token` cookie planted by a sibling subdomain is
 * not mistaken for the session (nor counted as a second one).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { captureLogs } from "./support/handler-checks.ts";
import { authorizerEvent, httpApiEvent, loadContainer, signInEvent } from "./support/in-process.ts";
import { devKey, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;

beforeAll(async () => {
  captureLogs(); // the request log lines
  container = await loadContainer({ SESSION_COOKIE_NAME: "__Host-token" });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await container?.secrets.stop();
  await container?.dynamodb.stop();
});

const call = async (name: keyof typeof container.handlers, event: APIGatewayProxyEventV2) =>
  (await container.handlers[name](event)) as APIGatewayProxyStructuredResultV2;

const withCookies = (path: string, method: string, cookies: string[]) =>
  httpApiEvent({ rawPath: path, cookies, requestContext: { http: { method, path } } as never });

describe("SESSION_COOKIE_NAME=__Host-token", () => {
  it("signs in with a cookie of that name, with the attributes the prefix requires", async () => {
    const result = await call("signin", signInEvent({ username: "user1", password: "password1" }));
    expect(result.cookies).toEqual([
      expect.stringMatching(
        /^__Host-token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
      ),
    ]);
  });

  it("reads only that name: a planted `token` cookie is neither the session nor a second one", async () => {
    const token = await mintToken(devKey(container.secrets));
    const planted = await mintToken(devKey(container.secrets), { claims: { sub: "user2" } });
    const result = await call("welcome", withCookies("/welcome", "GET", [`token=${planted}`, `__Host-token=${token}`]));
    expect(result).toMatchObject({ statusCode: 200, body: "Welcome user1!" });
    const alone = await call("welcome", withCookies("/welcome", "GET", [`token=${planted}`]));
    expect(JSON.parse(String(alone.body))).toMatchObject({ error: "missing_token" });
  });

  it("refreshes into that name", async () => {
    const now = nowSeconds();
    const token = await liveToken(container.store, devKey(container.secrets), { now, claims: { exp: now + 20 } });
    const result = await call("refresh", withCookies("/refresh", "POST", [`__Host-token=${token}`]));
    expect(result.statusCode).toBe(200);
    expect(result.cookies).toEqual([expect.stringMatching(/^__Host-token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300;/)]);
  });

  it("authorizes by that name only: a planted `token` cookie is neither the session nor a second one", async () => {
    const { handler: authorize } = await import("../functions/authorize.ts");
    const token = await liveToken(container.store, devKey(container.secrets));
    const planted = await mintToken(devKey(container.secrets), { claims: { sub: "user2" } });
    const both = await authorize(authorizerEvent({ cookies: [`token=${planted}`, `__Host-token=${token}`] }));
    expect(both).toMatchObject({ isAuthorized: true, context: { username: "user1" } });
    expect(await authorize(authorizerEvent({ cookies: [`token=${planted}`] }))).toEqual({ isAuthorized: false });
  });

  it("clears that name at logout", async () => {
    const result = await call("logout", withCookies("/logout", "POST", []));
    expect(result.cookies).toEqual(["__Host-token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict"]);
  });
});
