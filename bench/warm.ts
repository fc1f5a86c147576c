/**
 * Warm costs and secret fetches, in this process: the shipped bundles (minified, SDK inside) are
 * imported with the functions' environment, against local Secrets Manager and DynamoDB endpoints,
 * called with the events API Gateway sends (the tests' builders) and timed beside the floors they
 * are judged by. A new measure is one entry in a group of `groups` (a cost) or one `fetchesDuring`
 * (a count).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type AttributeValue, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { generateAuthenticationOptions, verifyAuthenticationResponse } from "@simplewebauthn/server";
import { decodeJwt, jwtVerify, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { ensureDevKey, ensureTables } from "../local/dev-data.ts";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { localClient, localDynamoClient, localSdkEnvironment } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { SessionTables } from "../shared/aws/session-tables.ts";
import { loadConfig } from "../shared/core/config.ts";
import { hashPassword, verifyPassword } from "../shared/core/passwords.ts";
import { importSigningKey } from "../shared/core/signing-key.ts";
import { SoftAuthenticator } from "../test/support/authenticator.ts";
import { authorizerEvent, httpApiEvent, signInEvent } from "../test/support/in-process.ts";
import { devKey, liveToken } from "../test/support/tokens.ts";

type Result = { statusCode?: number; cookies?: string[]; isAuthorized?: boolean };
type Handler = (event: unknown) => Promise<Result>;

export interface WarmResults {
  /** Median wall-clock µs of one call, by case name. */
  readonly us: Record<string, number>;
  /** Median wall-clock ms of one sign-in and of its scrypt floor, and of a passkey sign-in and its floor. */
  readonly ms: Record<string, number>;
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

// httpApiEvent fills in the rest of requestContext.
const withCookie = (method: string, path: string, token: string) =>
  httpApiEvent({ rawPath: path, cookies: [`token=${token}`], requestContext: { http: { method, path } } as never });

/** Imports the shipped bundles with `environment`, and measures; `rounds` interleaved rounds. */
export async function measureWarm(
  bundleDir: string,
  environment: Record<string, string>,
  rounds: number,
): Promise<WarmResults> {
  const secrets = await new LocalSecretsManager({ port: 0 }).start();
  const dynamodb = await new LocalDynamoDB({ port: 0 }).start();
  Object.assign(process.env, environment, localSdkEnvironment(secrets.url, dynamodb.url));
  const dynamodbClient = localDynamoClient(dynamodb.url);
  const secretsClient = localClient(secrets.url);
  try {
    const config = loadConfig(process.env);
    await ensureDevKey(secretsClient, config);
    await ensureTables(dynamodbClient, config);
    // A user of the bench's own with a random password: no demo credential in shipped code.
    const tables = new SessionTables(dynamodbClient, config);
    const [user, password] = ["bench", randomBytes(18).toString("base64url")];
    const passwordHash = await hashPassword(password);
    await tables.addUser(user, passwordHash, Date.now());

    let containers = 0;
    /** A new container: a fresh, never-imported copy of the function's bundle. */
    const container = async (name: string): Promise<Handler> => {
      const url = `${pathToFileURL(join(bundleDir, "functions", `${name}.mjs`)).href}?container=${containers++}`;
      return ((await import(url)) as { handler: Handler }).handler;
    };
    /** Calls a handler and insists on its answer, so that no case times an error path by mistake. */
    const call = async (handler: Handler, request: unknown, expected: number | "allow") => {
      const result = await handler(request);
      const got = "isAuthorized" in result ? (result.isAuthorized ? "allow" : "deny") : result.statusCode;
      if (got !== expected) throw new Error(`expected ${expected}, got ${got}`);
      return result;
    };
    const fetchesDuring = async (work: () => Promise<unknown>): Promise<number> => {
      secrets.resetCalls();
      await work();
      return secrets.count("GetSecretValue");
    };

    const bundles = ["signin", "welcome", "refresh", "authorize", "passkey-signin", "manage-passkeys"].map(container);
    const [signin, welcome, refresh, authorize, passkeySignin, managePasskeys] = (await Promise.all(bundles)) as [
      Handler,
      Handler,
      Handler,
      Handler,
      Handler,
      Handler,
    ];
    const signInRequest = signInEvent({ username: user, password });
    const signedIn = await call(signin, signInRequest, 200);
    const token = /^token=([^;]+)/.exec(signedIn.cookies?.[0] ?? "")?.[1] ?? "";

    // The same key as bytes (raw HMAC), as a CryptoKey imported once (jose), as a string (tutorial).
    const key = devKey(secrets);
    const cryptoKey = await importSigningKey(key.bytes);
    const dot = token.lastIndexOf(".");
    const signature = Buffer.from(token.slice(dot + 1), "base64url");
    const claims = decodeJwt(token);
    const tutorialSecret = Buffer.from(key.bytes).toString("base64url");
    const tutorialToken = jsonwebtoken.sign(claims, tutorialSecret);
    /** A token with 20 s left, inside the refresh window, of a live session, as refresh would get it. */
    const inWindow = async () =>
      liveToken(tables, key, { now: Math.floor(Date.now() / 1000) - 280, claims: { sub: user } });
    const welcomeEvent = withCookie("GET", "/welcome", token);
    const authorizeEvent = authorizerEvent({ cookies: [`token=${token}`] });
    let refreshToken = await inWindow();
    // What refresh cannot do without: verify, read the session and the user, sign (raw SDK and jose).
    const read = (TableName: string, Key: Record<string, AttributeValue>) =>
      dynamodbClient.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));

    // A passkey of the bench user, registered through the function; the RP is the events' domain.
    const rp = { rpId: "example.com", origin: "https://example.com" };
    const post = (path: string, body: unknown, cookies?: string[]) =>
      httpApiEvent({
        rawPath: path,
        routeKey: `POST ${path}`,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        ...(cookies === undefined ? {} : { cookies }),
        requestContext: { http: { method: "POST", path } } as never,
      });
    const bodyOf = (result: Result) =>
      JSON.parse(String((result as { body?: string }).body)) as { challenge: string; user?: { id: string } };
    const authenticator = new SoftAuthenticator();
    const sessionCookie = [`token=${token}`];
    const creation = bodyOf(await call(managePasskeys, post("/passkeys/registration-options", {}, sessionCookie), 200));
    const registration = authenticator.register({
      ...rp,
      challenge: creation.challenge,
      userId: creation.user?.id,
    });
    await call(managePasskeys, post("/passkeys", { response: registration }, sessionCookie), 201);
    const passkey = { id: authenticator.id, publicKey: new Uint8Array(), counter: 0 };
    const stored = await dynamodbClient.send(
      new GetItemCommand({ TableName: config.passkeysTable, Key: { id: { S: authenticator.id } } }),
    );
    passkey.publicKey = Buffer.from(String(stored.Item?.publicKey?.S), "base64url");

    // Each case takes turns only within its group. The table calls leave work behind in this
    // process (dynalite serves them here), which nearly tripled the µs cases that took turns with
    // them; sign-in is scrypt-bound, about 100 ms.
    const groups: Record<string, Record<string, () => unknown>> = {
      verify: {
        jose_verify_floor: () => jwtVerify(token, cryptoKey, { algorithms: ["HS256"] }),
        welcome_warm: () => call(welcome, welcomeEvent, 200),
        authorize_warm: () => call(authorize, authorizeEvent, "allow"),
        tutorial_verify: () => jsonwebtoken.verify(tutorialToken, tutorialSecret),
        raw_hmac_verify: () => {
          const expected = createHmac("sha256", key.bytes).update(token.slice(0, dot)).digest();
          if (!timingSafeEqual(expected, signature)) throw new Error("raw HMAC verify failed");
        },
      },
      tables: {
        refresh_in_window_warm: () => call(refresh, withCookie("POST", "/refresh", refreshToken), 200),
        refresh_floor: async () => {
          await jwtVerify(refreshToken, cryptoKey, { algorithms: ["HS256"] });
          await Promise.all([
            read(config.sessionsTable, { sid: { S: String(claims.sid) } }),
            read(config.usersTable, { username: { S: user } }),
          ]);
          await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(cryptoKey);
        },
      },
      // A successful sign-in beside one scrypt derivation at the configured cost.
      signin: {
        signin_warm: () => call(signin, signInRequest, 200),
        scrypt_floor: () => verifyPassword(password, passwordHash),
      },
      // A whole passkey sign-in (options, the authenticator's signature, sign-in) beside the same
      // ceremony with the library alone: its options, the same signature, its verification.
      passkey: {
        passkey_signin_warm: async () => {
          const options = bodyOf(await call(passkeySignin, post("/signin/passkey-options", {}), 200));
          const response = authenticator.authenticate({ ...rp, challenge: options.challenge });
          await call(passkeySignin, post("/signin/passkey", response), 200);
        },
        passkey_verify_floor: async () => {
          const options = await generateAuthenticationOptions({ rpID: rp.rpId, userVerification: "required" });
          const response = authenticator.authenticate({ ...rp, challenge: options.challenge });
          const verified = await verifyAuthenticationResponse({
            response: response as never,
            expectedChallenge: options.challenge,
            expectedOrigin: rp.origin,
            expectedRPID: rp.rpId,
            credential: passkey,
          });
          if (!verified.verified) throw new Error("passkey floor: not verified");
        },
      },
    };
    const caseNames = Object.values(groups).flatMap((cases) => Object.keys(cases));
    const times: Record<string, number[]> = Object.fromEntries(caseNames.map((name) => [name, []]));
    for (const cases of Object.values(groups)) await timeRound(cases, {}); // warm-up: every path optimised first
    for (let round = 0; round < rounds; round += 1) {
      refreshToken = await inWindow();
      for (const cases of Object.values(groups)) await timeRound(cases, times);
    }

    const counts: Record<string, number> = {};
    counts.secret_fetches_per_1000_warm = await fetchesDuring(async () => {
      for (let i = 0; i < 1000; i += 1) await call(welcome, welcomeEvent, 200);
    });
    const coldWelcome = await container("welcome");
    counts.secret_fetches_50_concurrent_cold = await fetchesDuring(() =>
      Promise.all(Array.from({ length: 50 }, () => call(coldWelcome, welcomeEvent, 200))),
    );
    const medians = (group: string, scale = 1) =>
      Object.fromEntries(Object.keys(groups[group] ?? {}).map((name) => [name, median(times[name] ?? []) * scale]));
    return {
      us: { ...medians("verify"), ...medians("tables") },
      ms: { ...medians("signin", 1 / 1000), ...medians("passkey", 1 / 1000) },
      counts,
    };
  } finally {
    dynamodbClient.destroy();
    secretsClient.destroy();
    await Promise.all([secrets.stop(), dynamodb.stop()]);
  }
}
