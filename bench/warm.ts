/**
 * Warm costs and secret fetches, in this process: the shipped bundles (minified, SDK inside) are
 * imported with the functions' environment, against local Secrets Manager and DynamoDB endpoints
 * (in a process of their own: bench/endpoints.ts), called with the events API Gateway sends and
 * timed beside the floors they are judged by. A new measure is one entry in a group of `groups` (a
 * cost), one `fetchesDuring` (a count) or one entry of `routes` (what one call of a function uses).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { generateAuthenticationOptions, verifyAuthenticationResponse } from "@simplewebauthn/server";
import { decodeJwt, jwtVerify, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { SoftAuthenticator } from "../local/authenticator.ts";
import { ensureDevKey, ensureTables } from "../local/dev-data.ts";
import { authorizerEvent, httpApiEvent, postEvent, signInEvent } from "../local/gateway-events.ts";
import { localClient, localDynamoClient, localSdkEnvironment } from "../local/sdk-env.ts";
import { SessionTables } from "../shared/aws/session-tables.ts";
import { loadConfig } from "../shared/core/config.ts";
import { passwords } from "../shared/core/passwords.ts";
import { importSigningKey, parseSigningKeyJwk, type SigningKey } from "../shared/core/signing-key.ts";
import { issueSessionToken } from "../shared/core/token.ts";
import { type Calls, startEndpoints } from "./endpoints.ts";
import type { Measured } from "./model.ts";

type Result = { statusCode?: number; cookies?: string[]; isAuthorized?: boolean };
type Handler = (event: unknown) => Promise<Result>;

export interface WarmResults {
  /** Median wall-clock µs of one call, by case name. */
  readonly us: Record<string, number>;
  /** Median wall-clock ms of one sign-in, one password change, one passkey sign-in, and their floors. */
  readonly ms: Record<string, number>;
  /** GetSecretValue calls at the endpoint, by what was done. */
  readonly counts: Record<string, number>;
  /** What one warm call of each function (and mode) uses, from batches of calls. */
  readonly routes: Record<string, RouteUse>;
}

/** One warm call of a function, measured over batches of calls (see measureRoute). */
export interface RouteUse extends Measured {
  /** The function (serverless.yml) that serves it. */
  readonly function: string;
}

/**
 * Request units of one call of each operation, as DynamoDB bills them on demand: every GetItem the
 * functions make is strongly consistent (1 unit up to 4 KB); every Query reads an index (eventually
 * consistent: half a unit per 4 KB), here a user's few items, under 4 KB; every item is under 1 KB
 * (1 unit per write, conditional or not, even when its condition fails). Scan is not used.
 */
const READ_UNITS: Record<string, number> = { GetItem: 1, Query: 0.5 };
const WRITE_UNITS: Record<string, number> = { PutItem: 1, UpdateItem: 1, DeleteItem: 1 };
const ROUTE_BATCHES = 5;

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

const delta = (after: Record<string, number>, before: Record<string, number>, units: Record<string, number>) =>
  Object.entries(after).reduce((total, [operation, count]) => {
    const unit = units[operation] ?? 0;
    return total + unit * (count - (before[operation] ?? 0));
  }, 0);

/** Counts what the handlers write through console (log.ts), writing it as console would. */
function countLogs(): { bytes: number; lines: number; restore(): void } {
  const levels = ["info", "warn", "error"] as const;
  const originals = levels.map((level) => console[level]);
  const counted = {
    bytes: 0,
    lines: 0,
    restore: () => {
      levels.forEach((level, index) => {
        console[level] = originals[index] as typeof console.info;
      });
    },
  };
  for (const level of levels) {
    console[level] = (...args: unknown[]) => {
      const line = `${format(...args)}\n`;
      counted.bytes += Buffer.byteLength(line);
      counted.lines += 1;
      process.stdout.write(line);
    };
  }
  return counted;
}

/** Imports the shipped bundles with `environment`, and measures; `rounds` interleaved rounds. */
export async function measureWarm(
  bundleDir: string,
  environment: Record<string, string>,
  rounds: number,
): Promise<WarmResults> {
  const endpoints = await startEndpoints();
  Object.assign(process.env, environment, localSdkEnvironment(endpoints.secretsUrl, endpoints.dynamodbUrl));
  const dynamodbClient = localDynamoClient(endpoints.dynamodbUrl);
  const secretsClient = localClient(endpoints.secretsUrl);
  try {
    const config = loadConfig(process.env);
    await ensureDevKey(secretsClient, config);
    await ensureTables(dynamodbClient, config);
    // A user of the bench's own with a random password: no demo credential in shipped code.
    const tables = new SessionTables(dynamodbClient, config);
    const [user, password] = ["bench", randomBytes(18).toString("base64url")];
    const passwordHash = await passwords.hash(password);
    await tables.addUser(user, passwordHash, Date.now() - 60_000);

    let containers = 0;
    /** A new container: a fresh, never-imported copy of the function's bundle, with `env` on top. */
    const container = async (name: string, env: Record<string, string> = {}): Promise<Handler> => {
      const url = `${pathToFileURL(join(bundleDir, "functions", `${name}.mjs`)).href}?container=${containers++}`;
      const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
      Object.assign(process.env, env); // read by the bundle's config at import, as at a cold start
      try {
        return ((await import(url)) as { handler: Handler }).handler;
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    };
    /** Calls a handler and insists on its answer, so that no case times an error path by mistake. */
    const call = async (handler: Handler, request: unknown, expected: number | "allow") => {
      const result = await handler(request);
      const got = "isAuthorized" in result ? (result.isAuthorized ? "allow" : "deny") : result.statusCode;
      if (got !== expected) throw new Error(`expected ${expected}, got ${got}`);
      return result;
    };
    const fetchesDuring = async (work: () => Promise<unknown>): Promise<number> => {
      const before = await endpoints.calls();
      await work();
      const after = await endpoints.calls();
      return (after.secrets.GetSecretValue ?? 0) - (before.secrets.GetSecretValue ?? 0);
    };

    const bundles = [
      "signin",
      "welcome",
      "refresh",
      "authorize",
      "sessions",
      "change-password",
      "passkey-signin",
      "manage-passkeys",
    ].map((name) => container(name));
    const [signin, welcome, refresh, authorize, sessions, changePassword, passkeySignin, managePasskeys] =
      (await Promise.all(bundles)) as [Handler, Handler, Handler, Handler, Handler, Handler, Handler, Handler];
    // The sign-in cases sign in a user of their own, whose sessions are ended each round (below):
    // the session of `token` stays live for the every-request cases.
    const signer = "bench-signin";
    await tables.addUser(signer, passwordHash, Date.now() - 60_000);
    const signInRequest = signInEvent({ username: signer, password });
    const tokenOf = (result: Result) => /^token=([^;]+)/.exec(result.cookies?.[0] ?? "")?.[1] ?? "";
    const token = tokenOf(await call(signin, signInEvent({ username: user, password }), 200));
    // A user of its own for the password change, whose two random passwords take turns; each
    // change ends the user's sessions and answers with the cookie of a new one, used next.
    const changer = "bench-password";
    const turns = [randomBytes(18).toString("base64url"), randomBytes(18).toString("base64url")];
    await tables.addUser(changer, await passwords.hash(turns[0] ?? ""), Date.now() - 1000);
    let changes = 0;
    let changerToken = tokenOf(await call(signin, signInEvent({ username: changer, password: turns[0] ?? "" }), 200));
    const changeOnce = async () => {
      const [currentPassword, newPassword] = changes % 2 === 0 ? turns : [turns[1], turns[0]];
      const request = postEvent("/password", { currentPassword, newPassword }, { cookies: [`token=${changerToken}`] });
      changerToken = tokenOf(await call(changePassword, request, 200));
      changes += 1;
    };

    // The same key as bytes (raw HMAC), as a CryptoKey imported once (jose), as a string (tutorial).
    const secret = await secretsClient.send(new GetSecretValueCommand({ SecretId: config.signingKeySecretId }));
    const keyBytes = parseSigningKeyJwk(String(secret.SecretString));
    const cryptoKey = await importSigningKey(keyBytes);
    const signingKey: SigningKey = { kid: String(secret.VersionId), key: cryptoKey };
    const dot = token.lastIndexOf(".");
    const signature = Buffer.from(token.slice(dot + 1), "base64url");
    const claims = decodeJwt(token);
    const tutorialSecret = Buffer.from(keyBytes).toString("base64url");
    const tutorialToken = jsonwebtoken.sign(claims, tutorialSecret);
    /** A token of a new live session of `username`, issued `ageSeconds` ago by the service's own code. */
    const liveToken = async (username: string, ageSeconds = 0) => {
      const now = Date.now() - ageSeconds * 1000;
      const session = { user: username, sid: randomBytes(16).toString("base64url"), authTime: now - (now % 1000) };
      await tables.putSession({
        sid: session.sid,
        username,
        authTime: session.authTime,
        createdAt: Date.now(),
        expiresAt: session.authTime + config.sessionMaxSeconds * 1000,
        handle: randomBytes(16).toString("base64url"),
        device: "bench",
        ip: "127.0.0.1",
      });
      return (await issueSessionToken(signingKey, session, now, config, randomUUID())).token;
    };
    /**
     * Ends every session of `username`, so that its sign-ins start under MAX_SESSIONS_PER_USER, as
     * most users' do, and time and count no deletion of a surplus.
     */
    const endSessionsOf = async (username: string) => {
      for (;;) {
        const { Items: items = [] } = await dynamodbClient.send(
          new QueryCommand({
            TableName: config.sessionsTable,
            IndexName: "by-username",
            KeyConditionExpression: "username = :u",
            ExpressionAttributeValues: { ":u": { S: username } },
          }),
        );
        if (items.length === 0) return;
        await Promise.all(
          items.map((item) =>
            dynamodbClient.send(
              new DeleteItemCommand({ TableName: config.sessionsTable, Key: { sid: item.sid as AttributeValue } }),
            ),
          ),
        );
      }
    };
    // The in-window tokens, hundreds a round, are another user's than the sign-ins'.
    const refresher = "bench-refresh";
    await tables.addUser(refresher, passwordHash, Date.now() - 60_000);
    /** A token with 20 s left, inside the refresh window, of a live session, as refresh would get it. */
    const inWindow = () => liveToken(refresher, config.tokenTtlSeconds - 20);
    const welcomeEvent = withCookie("GET", "/welcome", token);
    const authorizeEvent = authorizerEvent({ cookies: [`token=${token}`] });
    // A refresh supersedes its token: each call needs a token of its own (the grace's re-signing,
    // a read and no write, would otherwise be what is timed). A round uses far fewer than this.
    const POOL = 250;
    let pool: string[] = [];
    const fillPool = async () => {
      pool = [];
      for (let i = 0; i < POOL; i += 1) pool.push(await inWindow());
    };
    const nextToken = () => {
      const next = pool.pop();
      if (next === undefined) throw new Error("the pool of in-window tokens ran out: raise POOL");
      return next;
    };
    let refreshToken = await inWindow();
    // A user of its own for GET /sessions: the sign-in case's many sessions would end its session
    // (MAX_SESSIONS_PER_USER) and fill its list.
    await tables.addUser("bench-sessions", passwordHash, Date.now());
    const sessionsEvent = withCookie("GET", "/sessions", await liveToken("bench-sessions"));
    // A user of its own with a passkey, registered through the function after a password sign-in;
    // the relying party is the events' domain (example.com).
    const rp = { rpId: "example.com", origin: "https://example.com" };
    const bodyOf = (result: Result) =>
      JSON.parse(String((result as { body?: string }).body)) as { challenge: string; user?: { id: string } };
    const authenticator = new SoftAuthenticator();
    await tables.addUser("bench-passkey", passwordHash, Date.now() - 60_000);
    const passkeyCookie = [
      `token=${tokenOf(await call(signin, signInEvent({ username: "bench-passkey", password }), 200))}`,
    ];
    const creation = bodyOf(
      await call(managePasskeys, postEvent("/passkeys/registration-options", {}, { cookies: passkeyCookie }), 200),
    );
    const registration = authenticator.register({ ...rp, challenge: creation.challenge, userId: creation.user?.id });
    await call(managePasskeys, postEvent("/passkeys", { response: registration }, { cookies: passkeyCookie }), 201);
    const stored = await dynamodbClient.send(
      new GetItemCommand({ TableName: config.passkeysTable, Key: { id: { S: authenticator.id } } }),
    );
    const credential = {
      id: authenticator.id,
      publicKey: new Uint8Array(Buffer.from(String(stored.Item?.publicKey?.S), "base64url")),
      counter: 0,
    };
    const passkeyOptions = () => call(passkeySignin, postEvent("/signin/passkey-options", {}), 200);
    /** The browser's part of a passkey sign-in: options from the function, the authenticator's answer. */
    const passkeyAnswer = async () =>
      authenticator.authenticate({ ...rp, challenge: bodyOf(await passkeyOptions()).challenge });
    // What refresh cannot do without: verify, read the session and the user, one conditional
    // write, sign (raw SDK and jose).
    const read = (TableName: string, Key: Record<string, AttributeValue>) =>
      dynamodbClient.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    // The write refresh makes, as large as the adapter's: the successor's four claims, the token it
    // superseded and when, under a condition on the user and the newest token.
    const conditionalWrite = () => {
      const now = String(Date.now());
      return dynamodbClient.send(
        new UpdateItemCommand({
          TableName: config.sessionsTable,
          Key: { sid: { S: String(decodeJwt(refreshToken).sid) } },
          UpdateExpression:
            "SET tokenJti = :jti, tokenIat = :iat, tokenExp = :exp, tokenKid = :kid, " +
            "supersededJti = :presented, supersededAt = :at, lastActiveAt = :at",
          ConditionExpression: "username = :user AND (attribute_not_exists(tokenJti) OR tokenJti <> :presented)",
          ExpressionAttributeValues: {
            ":jti": { S: randomUUID() },
            ":iat": { N: now.slice(0, -3) },
            ":exp": { N: now.slice(0, -3) },
            ":kid": { S: signingKey.kid },
            ":presented": { S: randomUUID() },
            ":at": { N: now },
            ":user": { S: refresher },
          },
        }),
      );
    };

    // Each case takes turns only within its group; sign-in is scrypt-bound, about 100 ms.
    const groups: Record<string, Record<string, () => unknown>> = {
      verify: {
        jose_verify_floor: () => jwtVerify(token, cryptoKey, { algorithms: ["HS256"] }),
        welcome_warm: () => call(welcome, welcomeEvent, 200),
        authorize_warm: () => call(authorize, authorizeEvent, "allow"),
        tutorial_verify: () => jsonwebtoken.verify(tutorialToken, tutorialSecret),
        raw_hmac_verify: () => {
          const expected = createHmac("sha256", keyBytes).update(token.slice(0, dot)).digest();
          if (!timingSafeEqual(expected, signature)) throw new Error("raw HMAC verify failed");
        },
      },
      tables: {
        refresh_in_window_warm: () => call(refresh, withCookie("POST", "/refresh", nextToken()), 200),
        // GET /sessions beside its floor: verify, then one Query of the index by username.
        sessions_warm: () => call(sessions, sessionsEvent, 200),
        sessions_floor: async () => {
          await jwtVerify(token, cryptoKey, { algorithms: ["HS256"] });
          await dynamodbClient.send(
            new QueryCommand({
              TableName: config.sessionsTable,
              IndexName: "by-username",
              KeyConditionExpression: "username = :u",
              ExpressionAttributeValues: { ":u": { S: "bench-sessions" } },
              Limit: config.maxSessionsPerUser * 2,
            }),
          );
        },
        refresh_floor: async () => {
          await jwtVerify(refreshToken, cryptoKey, { algorithms: ["HS256"] });
          await Promise.all([
            read(config.sessionsTable, { sid: { S: String(claims.sid) } }),
            read(config.usersTable, { username: { S: refresher } }),
          ]);
          await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(cryptoKey);
          await conditionalWrite();
        },
      },
      // A successful sign-in beside one scrypt derivation at the configured cost; a password
      // change beside two (verify the current password, hash the new one).
      signin: {
        signin_warm: () => call(signin, signInRequest, 200),
        scrypt_floor: () => passwords.verify(password, passwordHash),
        password_change_warm: changeOnce,
        password_change_floor: async () => {
          await passwords.verify(password, passwordHash);
          await passwords.hash(password);
        },
      },
      // A whole passkey sign-in (options, the authenticator's signature, sign-in) beside the same
      // ceremony with the library alone: its options, the same signature, its verification.
      passkey: {
        passkey_signin_warm: async () => call(passkeySignin, postEvent("/signin/passkey", await passkeyAnswer()), 200),
        passkey_verify_floor: async () => {
          const options = await generateAuthenticationOptions({ rpID: rp.rpId, userVerification: "required" });
          const response = authenticator.authenticate({ ...rp, challenge: options.challenge });
          const verified = await verifyAuthenticationResponse({
            response: response as never,
            expectedChallenge: options.challenge,
            expectedOrigin: rp.origin,
            expectedRPID: rp.rpId,
            credential,
          });
          if (!verified.verified) throw new Error("passkey floor: not verified");
        },
      },
    };
    const caseNames = Object.values(groups).flatMap((cases) => Object.keys(cases));
    const times: Record<string, number[]> = Object.fromEntries(caseNames.map((name) => [name, []]));
    await fillPool();
    for (const cases of Object.values(groups)) await timeRound(cases, {}); // warm-up: every path optimised first
    for (let round = 0; round < rounds; round += 1) {
      [refreshToken] = await Promise.all([
        inWindow(),
        fillPool(),
        endSessionsOf(signer),
        endSessionsOf("bench-passkey"),
      ]);
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

    // What one call of each function uses. A case prepares what its calls need (tokens, sessions,
    // users) before the batch, so that only the calls are counted.
    const everyRequest = { REVOCATION_CHECK: "every-request" };
    const [logout, logoutEverywhere, me, page] = (await Promise.all(
      ["logout", "logout-everywhere", "me", "page"].map((name) => container(name)),
    )) as [Handler, Handler, Handler, Handler];
    // One at a time: each sets the environment for its own import.
    const welcomeEveryRequest = await container("welcome", everyRequest);
    const authorizeEveryRequest = await container("authorize", everyRequest);
    const signup = await container("signup", { SIGNUP: "open" });
    let signups = 0;
    const meEvent = httpApiEvent({
      rawPath: "/me",
      requestContext: {
        http: { method: "GET", path: "/me" },
        authorizer: {
          lambda: { username: user, authTime: 1764780000, expiresAt: 1764780300, sid: String(claims.sid) },
        },
      } as never,
    });
    const pageEvent = httpApiEvent({ rawPath: "/" });
    let batchNumber = 0;
    type Case = { function: string; calls: number; httpRequest?: false; prepare?: () => Promise<unknown[]> };
    const repeat = (count: number, make: (i: number) => Promise<unknown>) =>
      Promise.all(Array.from({ length: count }, (_, i) => make(i)));
    const routes: Record<string, Case & { run: (prepared: unknown, i: number) => Promise<unknown> }> = {
      signin: {
        function: "signin",
        calls: 6,
        prepare: async () => [await endSessionsOf(signer)],
        run: () => call(signin, signInRequest, 200),
      },
      welcome: { function: "welcome", calls: 300, run: () => call(welcome, welcomeEvent, 200) },
      welcome_every_request: {
        function: "welcome",
        calls: 200,
        run: () => call(welcomeEveryRequest, welcomeEvent, 200),
      },
      refresh: {
        function: "refresh",
        calls: 150,
        prepare: async () => [await inWindow()],
        run: (prepared) => call(refresh, withCookie("POST", "/refresh", String(prepared)), 200),
      },
      logout: {
        function: "logout",
        calls: 150,
        prepare: () => repeat(150, () => liveToken(user)),
        run: (prepared) => call(logout, withCookie("POST", "/logout", String(prepared)), 200),
      },
      logoutEverywhere: {
        function: "logoutEverywhere",
        calls: 60,
        prepare: () => {
          batchNumber += 1;
          const batch = batchNumber;
          return repeat(60, async (i) => {
            const name = `bench-${batch}-${i}`;
            await tables.addUser(name, passwordHash, Date.now() - 60_000);
            return liveToken(name);
          });
        },
        run: (prepared) => call(logoutEverywhere, withCookie("POST", "/logout-everywhere", String(prepared)), 200),
      },
      authorize: {
        function: "authorize",
        calls: 300,
        httpRequest: false,
        run: () => call(authorize, authorizeEvent, "allow"),
      },
      authorize_every_request: {
        function: "authorize",
        calls: 200,
        httpRequest: false,
        run: () => call(authorizeEveryRequest, authorizeEvent, "allow"),
      },
      me: { function: "me", calls: 500, run: () => call(me, meEvent, 200) },
      page: { function: "page", calls: 500, run: () => call(page, pageEvent, 200) },
      sessions: { function: "sessions", calls: 150, run: () => call(sessions, sessionsEvent, 200) },
      changePassword: { function: "changePassword", calls: 4, run: changeOnce },
      // A new user per call; the password is random, so the policy's list never refuses it.
      signup: {
        function: "signup",
        calls: 6,
        run: () => {
          signups += 1;
          return call(signup, postEvent("/signup", { username: `bench-new-${signups}`, password }), 201);
        },
      },
      passkeySignin_options: { function: "passkeySignin", calls: 150, run: passkeyOptions },
      // The answers are made in order, before the batch: each counts one more use of the passkey.
      passkeySignin: {
        function: "passkeySignin",
        calls: 15,
        prepare: async () => {
          await endSessionsOf("bench-passkey");
          const answers: unknown[] = [];
          for (let i = 0; i < 15; i += 1) answers.push(await passkeyAnswer());
          return answers;
        },
        run: (answer) => call(passkeySignin, postEvent("/signin/passkey", answer), 200),
      },
      // GET /passkeys, with a session made for the batch: the passkey sign-ins above end the oldest.
      managePasskeys: {
        function: "managePasskeys",
        calls: 150,
        prepare: async () => [withCookie("GET", "/passkeys", await liveToken("bench-passkey"))],
        run: (event) => call(managePasskeys, event, 200),
      },
    };
    const measured: Record<string, RouteUse> = {};
    for (const [name, route] of Object.entries(routes)) {
      measured[name] = await measureRoute(route, (route.prepare ?? (async () => [undefined]))(), endpoints.calls).catch(
        (error: unknown) => {
          throw new Error(`route ${name}: ${error}`, { cause: error });
        },
      );
    }
    const medians = (group: string, scale = 1) =>
      Object.fromEntries(Object.keys(groups[group] ?? {}).map((name) => [name, median(times[name] ?? []) * scale]));
    return {
      us: { ...medians("verify"), ...medians("tables") },
      ms: { ...medians("signin", 1 / 1000), ...medians("passkey", 1 / 1000) },
      counts,
      routes: measured,
    };
  } finally {
    dynamodbClient.destroy();
    secretsClient.destroy();
    await endpoints.stop();
  }
}

/**
 * One route's use per call: ROUTE_BATCHES batches of `calls` calls (after one batch to warm up),
 * each with what `prepare` made for it (one value per call, or one for all). CPU time and the wait
 * (wall minus CPU) are each the least of the batches': a busy neighbour only ever adds to them.
 * Units, calls and log bytes are the last batch's (they do not vary).
 */
async function measureRoute(
  route: {
    function: string;
    calls: number;
    httpRequest?: false;
    prepare?: () => Promise<unknown[]>;
    run: (prepared: unknown, i: number) => Promise<unknown>;
  },
  firstPrepared: Promise<unknown[]>,
  endpointCalls: () => Promise<Calls>,
): Promise<RouteUse> {
  const cpu: number[] = [];
  const wait: number[] = [];
  let use = { readUnits: 0, writeUnits: 0, secretCalls: 0, logBytes: 0, logLines: 0 };
  let prepared = await firstPrepared;
  for (let batch = 0; batch <= ROUTE_BATCHES; batch += 1) {
    if (batch > 0 && route.prepare !== undefined) prepared = await route.prepare();
    const before = await endpointCalls();
    const logs = countLogs();
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    try {
      for (let i = 0; i < route.calls; i += 1) await route.run(prepared[prepared.length > 1 ? i : 0], i);
    } finally {
      logs.restore();
    }
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpuStarted);
    const after = await endpointCalls();
    if (batch === 0) continue; // the warm-up
    const cpuUs = (used.user + used.system) / route.calls;
    cpu.push(cpuUs);
    wait.push(Math.max(0, (elapsed * 1000) / route.calls - cpuUs));
    use = {
      readUnits: delta(after.dynamodb, before.dynamodb, READ_UNITS) / route.calls,
      writeUnits: delta(after.dynamodb, before.dynamodb, WRITE_UNITS) / route.calls,
      secretCalls: delta(after.secrets, before.secrets, { GetSecretValue: 1 }) / route.calls,
      logBytes: logs.bytes / route.calls,
      logLines: logs.lines / route.calls,
    };
  }
  return {
    function: route.function,
    cpuUs: Math.min(...cpu),
    wallUs: Math.min(...cpu) + Math.min(...wait),
    ...use,
    httpRequest: route.httpRequest ?? true,
  };
}
