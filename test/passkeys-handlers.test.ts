/**
 * The passkey functions in-process with API Gateway–shaped events, the real @simplewebauthn/server
 * and the local DynamoDB, answered by a software authenticator that can sign what no browser
 * would: another origin, another RP ID, no user verification, another key. The RP is the API's
 * domain from the request context (example.com in these events), never the Host header.
 */

import { generateKeyPairSync } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FLAGS, SoftAuthenticator } from "../local/authenticator.ts";
import { loadConfig } from "../shared/core/config.ts";
import { relyingParty } from "../shared/http/webauthn.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer, signInEvent } from "./support/in-process.ts";

type Result = APIGatewayProxyStructuredResultV2;
type Handler = (event: APIGatewayProxyEventV2) => Promise<Result>;

let container: Awaited<ReturnType<typeof loadContainer>>;
let signin: Handler;
let manage: Handler;

beforeAll(async () => {
  captureLogs();
  container = await loadContainer();
  signin = (await import("../functions/passkey-signin.ts")).handler as Handler;
  manage = (await import("../functions/manage-passkeys.ts")).handler as Handler;
});

afterAll(async () => {
  await container?.dynamodb.stop();
  vi.restoreAllMocks();
  await container?.secrets.stop();
});

const ORIGIN = "https://example.com";

function event(method: string, routeKey: string, body?: unknown, extra: Partial<APIGatewayProxyEventV2> = {}) {
  const path = routeKey.replace("{id}", String(extra.pathParameters?.id ?? ""));
  return httpApiEvent({
    rawPath: path,
    routeKey: `${method} ${routeKey}`,
    headers: { "content-type": "application/json", ...extra.headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...extra,
    requestContext: { http: { method, path } } as APIGatewayProxyEventV2["requestContext"],
  });
}

const json = (result: Result) => JSON.parse(String(result.body)) as Record<string, unknown>;

async function passwordSession(username = "user1"): Promise<string[]> {
  const result = (await container.handlers.signin(
    signInEvent({ username, password: username === "user1" ? "password1" : "password2" }),
  )) as Result;
  return [String(result.cookies?.[0]?.split(";")[0])];
}

/** Registers a new software passkey for the session's user; returns it. */
async function registered(cookies: string[]): Promise<SoftAuthenticator> {
  const authenticator = new SoftAuthenticator();
  const options = json(await manage(event("POST", "/passkeys/registration-options", {}, { cookies })));
  const { challenge, user } = options as { challenge: string; user: { id: string } };
  const response = authenticator.register({ challenge, origin: ORIGIN, rpId: "example.com", userId: user.id });
  const created = await manage(event("POST", "/passkeys", { response, name: "laptop" }, { cookies }));
  expect([created.statusCode, json(created)]).toEqual([
    201,
    { id: authenticator.id, name: "laptop", createdAt: expect.any(Number) },
  ]);
  return authenticator;
}

async function signInOptions(): Promise<{
  challenge: string;
  rpId: string;
  allowCredentials: unknown[];
  userVerification: string;
}> {
  return json(await signin(event("POST", "/signin/passkey-options", {}))) as never;
}

function expectInvalidPasskey(result: Result): void {
  expect([result.statusCode, json(result)]).toEqual([
    401,
    { error: "invalid_passkey", message: "The passkey was not accepted." },
  ]);
  expect(result.cookies).toBeUndefined();
}

describe("passkeys with the real WebAuthn library", () => {
  it("registers a passkey and signs in with it: the same answer as a password sign-in", async () => {
    const authenticator = await registered(await passwordSession());
    const options = await signInOptions();
    expect(options).toMatchObject({ rpId: "example.com", allowCredentials: [], userVerification: "required" });

    const result = await signin(
      event(
        "POST",
        "/signin/passkey",
        authenticator.authenticate({ challenge: options.challenge, origin: ORIGIN, rpId: "example.com" }),
      ),
    );
    expect(result.statusCode).toBe(200);
    expect(Object.keys(json(result)).sort()).toEqual([
      "expiresAt",
      "expiresAtIso",
      "expiresInSeconds",
      "refreshInSeconds",
      "username",
    ]);
    expect(json(result).username).toBe("user1");
    expect(result.cookies?.[0]).toMatch(
      /^token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
  });

  it("asks for resident keys, user verification and no attestation, and never names the user in the handle", async () => {
    const cookies = await passwordSession();
    const options = json(await manage(event("POST", "/passkeys/registration-options", {}, { cookies })));

    expect(options).toMatchObject({
      rp: { id: "example.com", name: "serverless-jwt-auth" },
      user: { name: "user1" },
      attestation: "none",
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
    expect(Buffer.from(String((options.user as { id: string }).id), "base64url").toString("latin1")).not.toContain(
      "user1",
    );
  });

  it.each([
    ["another origin", { origin: "https://evil.example" }],
    ["another RP ID", { rpId: "evil.example" }],
    ["no user verification", { flags: FLAGS.UP }],
    ["a registration's client data", { type: "webauthn.create" }],
  ])("refuses a sign-in signed by the right key for %s", async (_name, change) => {
    const authenticator = await registered(await passwordSession());
    const { challenge } = await signInOptions();
    const response = authenticator.authenticate({ challenge, origin: ORIGIN, rpId: "example.com", ...change });

    expectInvalidPasskey(await signin(event("POST", "/signin/passkey", response)));
  });

  it("refuses a signature by another key, and a sign count that goes backwards", async () => {
    const authenticator = await registered(await passwordSession());
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const base = { origin: ORIGIN, rpId: "example.com" };

    expectInvalidPasskey(
      await signin(
        event(
          "POST",
          "/signin/passkey",
          authenticator.authenticate({ ...base, challenge: (await signInOptions()).challenge, signWith: other }),
        ),
      ),
    );
    const first = await signin(
      event(
        "POST",
        "/signin/passkey",
        authenticator.authenticate({ ...base, challenge: (await signInOptions()).challenge, signCount: 10 }),
      ),
    );
    expect(first.statusCode).toBe(200);
    expectInvalidPasskey(
      await signin(
        event(
          "POST",
          "/signin/passkey",
          authenticator.authenticate({ ...base, challenge: (await signInOptions()).challenge, signCount: 9 }),
        ),
      ),
    );
  });

  it("refuses a registration answered for another origin, and keeps nothing", async () => {
    const cookies = await passwordSession();
    const options = json(await manage(event("POST", "/passkeys/registration-options", {}, { cookies })));
    const response = new SoftAuthenticator().register({
      challenge: String(options.challenge),
      origin: "https://evil.example",
      rpId: "example.com",
    });

    expectInvalidPasskey(await manage(event("POST", "/passkeys", { response }, { cookies })));
  });

  it("answers another user's passkey with passkey_not_found, and lists only the user's own", async () => {
    const mine = await registered(await passwordSession("user2"));
    const cookies = await passwordSession("user1");

    const removed = await manage(
      event("DELETE", "/passkeys/{id}", undefined, { cookies, pathParameters: { id: mine.id } }),
    );
    expect([removed.statusCode, json(removed).error]).toEqual([404, "passkey_not_found"]);
    const listed = json(await manage(event("GET", "/passkeys", undefined, { cookies }))).passkeys as { id: string }[];
    expect(listed.map((passkey) => passkey.id)).not.toContain(mine.id);
  });

  it("refuses another site's page on every passkey route (403), before reading anything", async () => {
    const cookies = await passwordSession();
    const crossSite = { cookies, headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" } };
    const routes: [Handler, string, string][] = [
      [signin, "POST", "/signin/passkey-options"],
      [signin, "POST", "/signin/passkey"],
      [manage, "POST", "/passkeys/registration-options"],
      [manage, "POST", "/passkeys"],
      [manage, "GET", "/passkeys"],
      [manage, "DELETE", "/passkeys/{id}"],
    ];
    for (const [handler, method, route] of routes) {
      const result = await handler(event(method, route, {}, crossSite));
      expect([route, result.statusCode, json(result).error]).toEqual([route, 403, "cross_site_request"]);
    }
  });
});

describe("the relying party", () => {
  const config = loadConfig({});

  it("is the API's domain from the request context, never the Host or Origin header", () => {
    const request = httpApiEvent({ headers: { host: "evil.example", origin: "https://evil.example" } });

    expect(relyingParty(request, config)).toEqual({
      id: "example.com",
      name: "serverless-jwt-auth",
      origins: [ORIGIN],
    });
  });

  it("is localhost and http://localhost:8000 locally", () => {
    const local = httpApiEvent({
      requestContext: { domainName: "localhost" } as APIGatewayProxyEventV2["requestContext"],
    });

    expect(relyingParty(local, config)).toMatchObject({ id: "localhost", origins: ["http://localhost:8000"] });
  });

  it("is WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS when they are set", () => {
    const custom = loadConfig({ WEBAUTHN_RP_ID: "example.org", WEBAUTHN_ORIGINS: "https://login.example.org" });

    expect(relyingParty(httpApiEvent(), custom)).toMatchObject({
      id: "example.org",
      origins: ["https://login.example.org"],
    });
  });
});
