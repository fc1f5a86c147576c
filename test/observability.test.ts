/**
 * What operators see of the real handlers in this process: one audit record per authentication
 * event (fixed schema, a session handle instead of the sid), at most one EMF metric record per
 * request, counting its outcome, and no record of either kind carrying a secret.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { METRIC_NAMESPACE, metricRecord } from "../shared/core/metrics.ts";
import { deviceLabel } from "../shared/http/client-facts.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer } from "./support/in-process.ts";
import { devKey, KEY_SECRET, liveToken, mintToken, nowSeconds } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;

beforeAll(async () => {
  // One failure locks, so a lockout costs one scrypt.
  container = await loadContainer({ SIGNIN_MAX_FAILURES: "1", SIGNIN_LOCKOUT_BASE_SECONDS: "60" });
});

afterAll(async () => {
  await container?.secrets.stop();
  await container?.dynamodb.stop();
});

let logs: string[];
let stdout: string[];

beforeEach(() => {
  logs = captureLogs();
  stdout = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  container.dynamodb.setFault({ kind: "none" });
});

const CLIENT = { sourceIp: "203.0.113.7", userAgent: `Mozilla/5.0 (X11; Linux) ${"x".repeat(300)}` };

function event(method: string, path: string, init: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return httpApiEvent({
    rawPath: path,
    ...init,
    requestContext: {
      http: { method, path, protocol: "HTTP/1.1", ...CLIENT },
    } as APIGatewayProxyEventV2["requestContext"],
  });
}

const signIn = (username: string, password: string, headers: Record<string, string> = {}) =>
  container.handlers.signin(
    event("POST", "/signin", {
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ username, password }),
    }),
  );

const withToken = (method: string, path: string, token: string) =>
  event(method, path, { cookies: [`token=${token}`], headers: { cookie: `token=${token}` } });

/** The audit records written so far, parsed. */
const audits = () =>
  logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record.audit !== undefined);

/** The names of the metrics counted so far, one per EMF record. */
const metrics = () =>
  stdout
    .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } })
    .map((record) => record._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name);

const DEVICE = deviceLabel(CLIENT.userAgent);

/** The handle a session is shown and audited by, never its sid. */
const handleOf = async (sid: string) => (await container.store.getSession(sid))?.handle;

describe("metric records", () => {
  it("are CloudWatch EMF: namespace, Stage dimension, a count of 1", () => {
    expect(metricRecord("SignInFailed", 1_800_000_000_000)).toEqual({
      _aws: {
        Timestamp: 1_800_000_000_000,
        CloudWatchMetrics: [
          { Namespace: METRIC_NAMESPACE, Dimensions: [["Stage"]], Metrics: [{ Name: "SignInFailed", Unit: "Count" }] },
        ],
      },
      Stage: "dev",
      SignInFailed: 1,
    });
  });
});

describe("sign-in events", () => {
  it("records a success with the session's handle, the address and the device, and counts it", async () => {
    const result = await signIn("user1", "password1");
    const sid = String(decodeJwt(String(result.cookies?.[0]?.split(";")[0]?.slice("token=".length))).sid);

    expect(result.statusCode).toBe(200);
    const handle = await handleOf(sid);
    expect(audits()).toEqual([
      {
        level: "info",
        message: "audit",
        audit: "signin_succeeded",
        user: "user1",
        session: handle,
        ip: "203.0.113.7",
        device: DEVICE,
        outcome: "success",
        reason: "password_accepted",
      },
    ]);
    expect(handle).toMatch(/^[\w-]{22}$/);
    expect(metrics()).toEqual(["SignInSucceeded"]);
  });

  it("records a wrong password and an unknown user as failures, and counts them", async () => {
    await signIn("user2", "wrong");
    await signIn("nobody", "password1");

    expect(audits()).toEqual([
      expect.objectContaining({
        audit: "signin_failed",
        user: "user2",
        session: null,
        outcome: "failure",
        reason: "wrong_password",
      }),
      expect.objectContaining({
        audit: "signin_failed",
        user: "nobody",
        session: null,
        outcome: "failure",
        reason: "unknown_user",
      }),
    ]);
    expect(metrics()).toEqual(["SignInFailed", "SignInFailed"]);
  });

  it("records and counts a sign-in refused while the username is locked", async () => {
    await signIn("locked-name", "guess");
    const refused = await signIn("locked-name", "guess");

    expect(refused.statusCode).toBe(429);
    expect(audits().at(-1)).toEqual(
      expect.objectContaining({ audit: "signin_locked", user: "locked-name", outcome: "refused", reason: "locked" }),
    );
    expect(metrics()).toEqual(["SignInFailed", "SignInLocked"]);
  });

  it("counts a cross-site sign-in and a store outage, without an audit record", async () => {
    await signIn("user1", "password1", { "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    container.dynamodb.setFault({ kind: "error", type: "InternalServerError", statusCode: 500 });
    const unavailable = await signIn("user1", "password1");

    expect(unavailable.statusCode).toBe(503);
    expect(audits()).toEqual([]);
    expect(metrics()).toEqual(["CrossSiteRefused", "StoreUnavailable"]);
  });
});

describe("session events", () => {
  it("records a logout as the end of that session, by its handle", async () => {
    const key = devKey(container.secrets);
    const token = await liveToken(container.store, key);
    const handle = await handleOf(String(decodeJwt(token).sid));

    await container.handlers.logout(withToken("POST", "/logout", token));

    expect(audits()).toEqual([
      {
        level: "info",
        message: "audit",
        audit: "session_ended",
        user: "user1",
        session: handle,
        ip: "203.0.113.7",
        device: DEVICE,
        outcome: "success",
        reason: "logout",
      },
    ]);
    expect(metrics()).toEqual([]);
  });

  it("records logout everywhere with the session that asked", async () => {
    const token = await liveToken(container.store, devKey(container.secrets), { claims: { sub: "user2" } });

    const result = await container.handlers.logoutEverywhere(withToken("POST", "/logout-everywhere", token));

    expect(result.statusCode).toBe(200);
    expect(audits()).toEqual([
      expect.objectContaining({
        audit: "session_ended",
        user: "user2",
        session: await handleOf(String(decodeJwt(token).sid)),
        reason: "logout_everywhere",
      }),
    ]);
  });

  it("counts a refresh, and a refresh refused because the session was ended", async () => {
    const key = devKey(container.secrets);
    const live = await liveToken(container.store, key, { now: nowSeconds() - 280 });
    const ended = await mintToken(key, { now: nowSeconds() - 280 });

    const refreshed = await container.handlers.refresh(withToken("POST", "/refresh", live));
    const refused = await container.handlers.refresh(withToken("POST", "/refresh", ended));

    expect([refreshed.statusCode, refused.statusCode]).toEqual([200, 401]);
    expect(metrics()).toEqual(["Refreshed", "SessionRevoked"]);
  });
});

describe("log and metric records", () => {
  it("never carry a token, password, hash, key, sid or cookie", async () => {
    const key = devKey(container.secrets);
    const jwk = JSON.parse(String(container.secrets.store.getSecretValue({ SecretId: KEY_SECRET }).SecretString)) as {
      k: string;
    };
    const user = await container.store.getUser("user1");
    const signedIn = await signIn("user1", "password1");
    const cookie = String(signedIn.cookies?.[0]?.split(";")[0]);
    const token = cookie.slice("token=".length);
    const sid = String(decodeJwt(token).sid);
    await signIn("user1", "not-the-password");
    const other = await liveToken(container.store, key, { now: nowSeconds() - 280 });
    await container.handlers.refresh(withToken("POST", "/refresh", other));
    await container.handlers.welcome(withToken("GET", "/welcome", token));
    await container.handlers.logout(withToken("POST", "/logout", token));
    await container.handlers.logoutEverywhere(withToken("POST", "/logout-everywhere", other));

    const written = [...logs, ...stdout].join("");
    const secrets = [token, other, cookie, sid, String(decodeJwt(other).sid), jwk.k, String(user?.passwordHash)];
    expect(written.length).toBeGreaterThan(0);
    for (const secret of [...secrets, "password1", "not-the-password"]) expect(written).not.toContain(secret);
  });
});
