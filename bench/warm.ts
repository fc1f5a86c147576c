/**
 * The in-process part of the bench, run as a child of bench/run.ts: its stdout is a pipe the parent
 * drains, as Lambda's log agent drains a function's, so every handler writes its real log line and
 * the write stays inside the measured cost. Results go back over IPC.
 *
 * It imports the packaged bundles (what ships, minified, with the SDK inside) with the environment
 * pointing at a local Secrets Manager endpoint in this process, and measures, in interleaved rounds:
 * each handler warm, and beside them the floors (raw HMAC, jose with an imported CryptoKey, the
 * tutorial's jsonwebtoken with a string secret). Then it counts GetSecretValue calls at the endpoint
 * for warm and cold containers; a cold container is a fresh copy of the bundle.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { jwtVerify, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { ensureTables } from "../local/dev-data.ts";
import { ensureDevSecrets } from "../local/dev-secrets.ts";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { localDynamoClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/config.ts";
import { hashPassword } from "../shared/passwords.ts";
import { SessionTables } from "../shared/session-tables.ts";
import { median } from "./table.ts";

type Handler = (event: unknown) => Promise<{ statusCode?: number; cookies?: string[] }>;

export interface WarmResults {
  /** Median wall-clock µs per call, by case. */
  readonly us: Record<string, number>;
  /** Median CPU µs per call, by case. */
  readonly cpu_us: Record<string, number>;
  /** Ratios taken round by round (adjacent batches), then the median. */
  readonly paired: Record<string, number>;
  readonly rounds: number;
  readonly batch: Record<string, number>;
  readonly secret_fetches_per_1000_warm: number;
  readonly key_imports_per_1000_warm: number;
  readonly key_imports_50_concurrent_cold: number;
  readonly secret_fetches_50_concurrent_cold: number;
  readonly secret_fetches_first_1000_new_container: number;
  readonly secret_fetches_50_concurrent_cold_signin: number;
  readonly handler_calls: number;
}

const bundleDir = process.argv[2];
const rounds = Number(process.argv[3] ?? 15);
if (bundleDir === undefined || process.send === undefined) {
  throw new Error("run by bench/run.ts: tsx bench/warm.ts <bundle dir> [rounds], with an IPC channel");
}

const secrets = await new LocalSecretsManager({ port: 0 }).start();
const config = loadConfig(process.env);
ensureDevSecrets(secrets.store, config);
// A user of the bench's own, with a random password, beside the demo users.
const credentials = JSON.stringify({ username: "bench", password: randomBytes(18).toString("base64url") });
const dynamodb = await new LocalDynamoDB({ port: 0 }).start();
const dynamodbClient = localDynamoClient(dynamodb.url);
await ensureTables(dynamodbClient, config);
await new SessionTables(dynamodbClient, config).addUser(
  "bench",
  await hashPassword(JSON.parse(credentials).password),
  Date.now(),
);
process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.url;

let calls = 0;
let containers = 0;
/** A new container: a fresh, never-imported copy of the function's bundle. */
async function container(name: string): Promise<Handler> {
  const url = `${pathToFileURL(join(bundleDir as string, "functions", `${name}.mjs`)).href}?container=${containers++}`;
  const handler = ((await import(url)) as { handler: Handler }).handler;
  return (event) => {
    calls += 1;
    return handler(event);
  };
}

function event(method: string, path: string, options: { token?: string; body?: string } = {}) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: options.body === undefined ? {} : { "content-type": "application/json" },
    ...(options.token === undefined ? {} : { cookies: [`token=${options.token}`] }),
    ...(options.body === undefined ? {} : { body: options.body, isBase64Encoded: false }),
    requestContext: { requestId: "bench", http: { method, path }, timeEpoch: 0 },
    isBase64Encoded: false,
  };
}

async function expectStatus(handler: Handler, request: unknown, status: number): Promise<void> {
  const result = await handler(request);
  if (result.statusCode !== status) throw new Error(`expected ${status}, got ${result.statusCode}`);
}

const signin = await container("signin");
const welcome = await container("welcome");
const refresh = await container("refresh");
const logout = await container("logout");

// The token the service issues, from a real sign-in.
const signedIn = await signin(event("POST", "/signin", { body: credentials }));
const token = /^token=([^;]+)/.exec(signedIn.cookies?.[0] ?? "")?.[1];
if (token === undefined) throw new Error(`sign-in failed: ${signedIn.statusCode}`);

// The same key, as bytes (raw HMAC), as a CryptoKey imported once (jose), as a string (tutorial).
const stored = secrets.store.getSecretValue({ SecretId: config.signingKeySecretId, VersionStage: "AWSCURRENT" });
const jwk = JSON.parse(String(stored.SecretString)) as { k: string };
const keyBytes = Buffer.from(jwk.k, "base64url");
const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
const [signingInput, signature] = [token.slice(0, token.lastIndexOf(".")), token.slice(token.lastIndexOf(".") + 1)];
const signatureBytes = Buffer.from(signature, "base64url");
const now = Math.floor(Date.now() / 1000);
const claims = { sub: "user1", iss: config.issuer, aud: config.audience, jti: "bench", auth_time: now };
const tutorialToken = jsonwebtoken.sign(claims, jwk.k, { expiresIn: config.tokenTtlSeconds });

/** A token in its refresh window (20 s left), signed with the dev key, as refresh would get it. */
function inWindowToken(): Promise<string> {
  const t = Math.floor(Date.now() / 1000);
  return new SignJWT({ auth_time: t - 280 })
    .setProtectedHeader({ alg: "HS256", typ: "session+jwt", kid: String(stored.VersionId) })
    .setSubject("user1")
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(t - 280)
    .setExpirationTime(t + 20)
    .setJti("bench")
    .sign(keyBytes);
}

const welcomeEvent = event("GET", "/welcome", { token });
const refreshTooEarly = event("POST", "/refresh", { token });
const logoutEvent = event("POST", "/logout");
const wrongPassword = event("POST", "/signin", { body: JSON.stringify({ username: "user1", password: "wrong" }) });
let refreshInWindow = event("POST", "/refresh", { token: await inWindowToken() });

await expectStatus(welcome, welcomeEvent, 200);
await expectStatus(refresh, refreshTooEarly, 400);
await expectStatus(refresh, refreshInWindow, 200);
await expectStatus(logout, logoutEvent, 200);
await expectStatus(signin, wrongPassword, 401);

interface Case {
  readonly name: string;
  readonly batch: number;
  readonly run: () => unknown;
}

const cases: Case[] = [
  {
    name: "raw_hmac_verify",
    batch: 20_000,
    run: () => {
      const expected = createHmac("sha256", keyBytes).update(signingInput).digest();
      if (!timingSafeEqual(expected, signatureBytes)) throw new Error("raw HMAC verify failed");
    },
  },
  {
    name: "jose_verify_floor",
    batch: 2_000,
    run: () => jwtVerify(token, cryptoKey, { algorithms: ["HS256"] }),
  },
  { name: "welcome_warm", batch: 2_000, run: () => welcome(welcomeEvent) },
  { name: "refresh_too_early_warm", batch: 2_000, run: () => refresh(refreshTooEarly) },
  { name: "refresh_in_window_warm", batch: 1_000, run: () => refresh(refreshInWindow) },
  { name: "logout_warm", batch: 10_000, run: () => logout(logoutEvent) },
  // The tutorial's path leaves a KeyObject per call for the collector: it runs just before the
  // scrypt-bound case, where that garbage weighs nothing, not before a case of tens of µs.
  { name: "tutorial_verify", batch: 400, run: () => jsonwebtoken.verify(tutorialToken, jwk.k) },
  { name: "signin_wrong_password_warm", batch: 2, run: () => signin(wrongPassword) },
];

/** Wall-clock and CPU µs per call (CPU of every thread: WebCrypto's HMAC runs in the pool). */
async function timeBatch(c: Case): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < c.batch; i += 1) await c.run();
  const wall = Number(process.hrtime.bigint() - started) / 1000 / c.batch;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / c.batch };
}

// Warm-up: every path compiled and optimised before the first timed round.
for (const c of cases) for (let i = 0; i < Math.min(c.batch, 500); i += 1) await c.run();

// Interleaved rounds: a burst of load from the neighbours hits all cases alike, and the medians
// (and so the ratios) stay comparable.
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < rounds; round += 1) {
  refreshInWindow = event("POST", "/refresh", { token: await inWindowToken() });
  for (const c of cases) {
    const sample = await timeBatch(c);
    wall.get(c.name)?.push(sample.wall);
    cpu.get(c.name)?.push(sample.cpu);
  }
}
const us = Object.fromEntries(cases.map((c) => [c.name, median(wall.get(c.name) ?? [])]));
const cpuUs = Object.fromEntries(cases.map((c) => [c.name, median(cpu.get(c.name) ?? [])]));
/** Median over rounds of a/b, each round's two batches run back to back. */
function pairedRatio(samples: Map<string, number[]>, a: string, b: string): number {
  const over = samples.get(b) ?? [];
  return median((samples.get(a) ?? []).map((value, i) => value / (over[i] ?? Number.NaN)));
}
const paired = {
  welcome_over_jose_floor: pairedRatio(wall, "welcome_warm", "jose_verify_floor"),
  tutorial_over_welcome: pairedRatio(wall, "tutorial_verify", "welcome_warm"),
};

// 1,000 warm invocations: no fetch, no key import (counted on WebCrypto's importKey).
const subtle = globalThis.crypto.subtle;
const importKey = subtle.importKey.bind(subtle);
let keyImports = 0;
subtle.importKey = ((...args: Parameters<typeof importKey>) => {
  keyImports += 1;
  return importKey(...args);
}) as typeof subtle.importKey;
secrets.resetCalls();
for (let i = 0; i < 1000; i += 1) await expectStatus(welcome, welcomeEvent, 200);
const warmFetches = secrets.count("GetSecretValue");
const warmImports = keyImports;

// A new container: 50 concurrent cold requests, then the rest of 1,000 requests in its life.
const coldWelcome = await container("welcome");
secrets.resetCalls();
const importsBeforeCold = keyImports;
const cold = await Promise.all(Array.from({ length: 50 }, () => coldWelcome(welcomeEvent)));
if (cold.some((result) => result.statusCode !== 200)) throw new Error("a cold welcome request failed");
const coldFetches = secrets.count("GetSecretValue");
const coldImports = keyImports - importsBeforeCold;
for (let i = 0; i < 950; i += 1) await expectStatus(coldWelcome, welcomeEvent, 200);
const lifeFetches = secrets.count("GetSecretValue");

// A new sign-in container: 50 concurrent cold sign-ins read each of its two secrets once.
const coldSignin = await container("signin");
secrets.resetCalls();
const goodPassword = event("POST", "/signin", { body: credentials });
const signins = await Promise.all(Array.from({ length: 50 }, () => coldSignin(goodPassword)));
if (signins.some((result) => result.statusCode !== 200)) throw new Error("a cold sign-in failed");
const coldSigninFetches = secrets.count("GetSecretValue");

await secrets.stop();
const results: WarmResults = {
  us,
  cpu_us: cpuUs,
  paired,
  rounds,
  batch: Object.fromEntries(cases.map((c) => [c.name, c.batch])),
  secret_fetches_per_1000_warm: warmFetches,
  key_imports_per_1000_warm: warmImports,
  key_imports_50_concurrent_cold: coldImports,
  secret_fetches_50_concurrent_cold: coldFetches,
  secret_fetches_first_1000_new_container: lifeFetches,
  secret_fetches_50_concurrent_cold_signin: coldSigninFetches,
  handler_calls: calls,
};
process.send(results, undefined, {}, () => process.disconnect());
