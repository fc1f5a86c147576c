/**
 * The fetch-count promise of the secret cache, counted where it matters: at the Secrets Manager
 * endpoint, with the real SDK client of shared/runtime.ts and the real handlers in this process.
 * Each test imports the handler modules afresh, which is what a new Lambda container does. Only
 * Date is faked, so the test moves the clock past the cache age instead of waiting for it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { localSdkEnvironment } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/core/config.ts";
import type { HttpEvent, HttpResult } from "../shared/http/event.ts";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent, newContainerEnvironment } from "./support/in-process.ts";
import { ensureDevKeyOn } from "./support/service.ts";
import { devKey, mintToken } from "./support/tokens.ts";

const CACHE_SECONDS = 60;

let secrets: LocalSecretsManager;
let logLines: string[] = [];

function welcomeEvent(token: string): HttpEvent {
  return httpApiEvent({ rawPath: "/welcome", cookies: [`token=${token}`] });
}

/** A new container: fresh copies of the handler and of the module-scope client and caches. */
async function newContainer(): Promise<(event: HttpEvent) => Promise<HttpResult>> {
  vi.resetModules();
  return (await import("../functions/welcome.ts")).handler;
}

beforeAll(async () => {
  secrets = await new LocalSecretsManager({ port: 0 }).start();
  await ensureDevKeyOn(secrets, loadConfig({ STAGE: "dev" }));
});

afterAll(async () => {
  await secrets.stop();
});

beforeEach(() => {
  newContainerEnvironment({
    STAGE: "dev",
    SECRET_CACHE_SECONDS: String(CACHE_SECONDS),
    ...localSdkEnvironment(secrets.url),
  });
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  // The handlers log one line per request on stdout: kept here, so they can be checked.
  logLines = captureLogs();
  secrets.resetCalls();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("GetSecretValue calls at the endpoint", () => {
  it("reads the signing key once for 1,000 warm requests, and once more after the cache age", async () => {
    const welcome = await newContainer();
    const token = await mintToken(devKey(secrets));

    const first: number[] = [];
    for (let i = 0; i < 1000; i += 1) first.push((await welcome(welcomeEvent(token))).statusCode ?? 0);
    const afterFirstThousand = secrets.count("GetSecretValue");
    vi.setSystemTime(Date.now() + (CACHE_SECONDS + 1) * 1000);
    const second: number[] = [];
    for (let i = 0; i < 1000; i += 1) second.push((await welcome(welcomeEvent(token))).statusCode ?? 0);

    expect(first.every((status) => status === 200)).toBe(true);
    expect(second.every((status) => status === 200)).toBe(true);
    expect(afterFirstThousand).toBe(1);
    expect(secrets.count("GetSecretValue")).toBe(2);
    expect(logLines).toHaveLength(2000);
    expect(logLines.some((line) => line.includes(token))).toBe(false);
  });

  it("shares one fetch among 50 concurrent requests of a cold container, and again once its cache is cleared", async () => {
    const welcome = await newContainer();
    const { signingKeys } = await import("../shared/runtime.ts");
    const token = await mintToken(devKey(secrets));

    const cold = await Promise.all(Array.from({ length: 50 }, () => welcome(welcomeEvent(token))));
    const afterCold = secrets.count("GetSecretValue");
    signingKeys.clear(); // what test/support/in-process.ts calls a cold start
    const cleared = await Promise.all(Array.from({ length: 50 }, () => welcome(welcomeEvent(token))));

    expect(cold.map((result) => result.statusCode)).toEqual(Array(50).fill(200));
    expect(cleared.map((result) => result.statusCode)).toEqual(Array(50).fill(200));
    expect(afterCold).toBe(1);
    expect(secrets.count("GetSecretValue")).toBe(2);
  });
});
