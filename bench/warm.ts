/**
 * Warm costs and secret fetches, in this process: the shipped bundles (minified, SDK inside) are
 * imported with the functions' environment, against a local Secrets Manager endpoint, and timed
 * beside the floors they are judged by. A new measure is one entry in `cases` (a cost) or one
 * `fetchesDuring` (a count).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { jwtVerify, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { ensureTables, seedDemoUsers } from "../local/dev-data.ts";
import { ensureDevSecrets } from "../local/dev-secrets.ts";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { localDynamoClient, localSdkEnvironment } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/config.ts";
import { SessionTables } from "../shared/session-tables.ts";

type Handler = (event: unknown) => Promise<{ statusCode?: number; cookies?: string[] }>;

export interface WarmResults {
  /** Median wall-clock µs of one call, by case name. */
  readonly us: Record<string, number>;
  /** GetSecretValue calls at the endpoint, by what was done. */
  readonly counts: Record<string, number>;
}

const ROUND_MS = 400;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * µs of every call in one round: the cases take turns call by call for about ROUND_MS, so a burst
 * of load from the neighbours, or the collector, meets all of them alike.
 */
async function timeRound(cases: Record<string, () => unknown>, into: Record<string, number[]>): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < ROUND_MS) {
    for (const [name, run] of Object.entries(cases)) {
      const callStarted = performance.now();
      await run();
      into[name]?.push((performance.now() - callStarted) * 1000);
    }
  }
}

function event(method: string, path: string, options: { token?: string; body?: string } = {}) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: options.body === undefined ? {} : { "content-type": "application/json" },
    ...(options.token === undefined ? {} : { cookies: [`token=${options.token}`] }),
    ...(options.body === undefined ? {} : { body: options.body }),
    requestContext: { requestId: "bench", http: { method, path }, timeEpoch: 0 },
    isBase64Encoded: false,
  };
}

/** Imports the shipped bundles with `environment`, and measures; `rounds` interleaved rounds. */
export async function measureWarm(
  bundleDir: string,
  environment: Record<string, string>,
  rounds: number,
): Promise<WarmResults> {
  const secrets = await new LocalSecretsManager({ port: 0 }).start();
  const dynamodb = await new LocalDynamoDB({ port: 0 }).start();
  const dynamodbClient = localDynamoClient(dynamodb.url);
  try {
    Object.assign(process.env, environment, localSdkEnvironment(secrets.url, dynamodb.url));
    const config = loadConfig(process.env);
    ensureDevSecrets(secrets.store, config);
    await ensureTables(dynamodbClient, config);
    await seedDemoUsers(dynamodbClient, config);
    const tables = new SessionTables(dynamodbClient, config);

    let containers = 0;
    /** A new container: a fresh, never-imported copy of the function's bundle. */
    const container = async (name: string): Promise<Handler> => {
      const url = `${pathToFileURL(join(bundleDir, "functions", `${name}.mjs`)).href}?container=${containers++}`;
      return ((await import(url)) as { handler: Handler }).handler;
    };
    /** Calls a handler and insists on its status, so that no case times an error path by mistake. */
    const call = async (handler: Handler, request: unknown, status: number) => {
      const result = await handler(request);
      if (result.statusCode !== status) throw new Error(`expected ${status}, got ${result.statusCode}`);
      return result;
    };
    const fetchesDuring = async (work: () => Promise<unknown>): Promise<number> => {
      secrets.resetCalls();
      await work();
      return secrets.count("GetSecretValue");
    };

    const [signin, welcome, refresh] = await Promise.all(["signin", "welcome", "refresh"].map(container));
    const credentials = JSON.stringify({ username: "user1", password: "password1" });
    const signedIn = await call(signin as Handler, event("POST", "/signin", { body: credentials }), 200);
    const token = /^token=([^;]+)/.exec(signedIn.cookies?.[0] ?? "")?.[1] ?? "";

    // The same key as bytes (raw HMAC), as a CryptoKey imported once (jose), as a string (tutorial).
    const stored = secrets.store.getSecretValue({ SecretId: config.signingKeySecretId, VersionStage: "AWSCURRENT" });
    const jwk = JSON.parse(String(stored.SecretString)) as { k: string };
    const keyBytes = Buffer.from(jwk.k, "base64url");
    const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    const dot = token.lastIndexOf(".");
    const signature = Buffer.from(token.slice(dot + 1), "base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "user1", iss: config.issuer, aud: config.audience, jti: "bench", auth_time: now };
    const tutorialToken = jsonwebtoken.sign(claims, jwk.k, { expiresIn: config.tokenTtlSeconds });
    /** A token with 20 s left, inside the refresh window, of a live session, as refresh would get it. */
    const inWindow = async () => {
      const t = Math.floor(Date.now() / 1000);
      const sid = randomBytes(16).toString("base64url");
      await tables.putSession({
        sid,
        username: "user1",
        authTime: t - 280,
        createdAt: Date.now(),
        expiresAt: t + 3600,
      });
      const fresh = await new SignJWT({ auth_time: t - 280, sid })
        .setProtectedHeader({ alg: "HS256", typ: "session+jwt", kid: String(stored.VersionId) })
        .setSubject("user1")
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setIssuedAt(t - 280)
        .setExpirationTime(t + 20)
        .setJti("bench")
        .sign(keyBytes);
      return event("POST", "/refresh", { token: fresh });
    };
    const welcomeEvent = event("GET", "/welcome", { token });
    let refreshEvent = await inWindow();

    const cases: Record<string, () => unknown> = {
      jose_verify_floor: () => jwtVerify(token, cryptoKey, { algorithms: ["HS256"] }),
      welcome_warm: () => call(welcome as Handler, welcomeEvent, 200),
      refresh_in_window_warm: () => call(refresh as Handler, refreshEvent, 200),
      tutorial_verify: () => jsonwebtoken.verify(tutorialToken, jwk.k),
      raw_hmac_verify: () => {
        const expected = createHmac("sha256", keyBytes).update(token.slice(0, dot)).digest();
        if (!timingSafeEqual(expected, signature)) throw new Error("raw HMAC verify failed");
      },
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    await timeRound(cases, {}); // warm-up: every path compiled and optimised first
    for (let round = 0; round < rounds; round += 1) {
      refreshEvent = await inWindow();
      await timeRound(cases, times);
    }

    const counts: Record<string, number> = {};
    counts.secret_fetches_per_1000_warm = await fetchesDuring(async () => {
      for (let i = 0; i < 1000; i += 1) await call(welcome as Handler, welcomeEvent, 200);
    });
    const coldWelcome = await container("welcome");
    counts.secret_fetches_50_concurrent_cold = await fetchesDuring(() =>
      Promise.all(Array.from({ length: 50 }, () => call(coldWelcome, welcomeEvent, 200))),
    );
    return {
      us: Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)])),
      counts,
    };
  } finally {
    dynamodbClient.destroy();
    await Promise.all([secrets.stop(), dynamodb.stop()]);
  }
}
