/**
 * Starts the real service for HTTP tests as `npm start` runs it: the local Secrets Manager and
 * DynamoDB endpoints (in this process, so tests can count their calls and inject faults; the
 * tables and demo users created through the SDK, as npm start does), serverless-offline running
 * the real handler bundles, and in front of it the proxy that answers CORS as API Gateway does
 * (local/gateway-proxy.ts), all on free loopback ports. stop() ends them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, rmSync } from "node:fs";
import { ensureDevKey, ensureTables, seedDemoUsers } from "../../local/dev-data.ts";
import { LocalDynamoDB } from "../../local/dynamodb-endpoint.ts";
import { freePort } from "../../local/free-port.ts";
import { GatewayProxy, httpApiCors } from "../../local/gateway-proxy.ts";
import { localClient, localDynamoClient, localSdkEnvironment } from "../../local/sdk-env.ts";
import { type AsyncOperation, LocalSecretsManager } from "../../local/secrets-endpoint.ts";
import { SessionTables } from "../../shared/aws/session-tables.ts";
import { type Config, loadConfig } from "../../shared/core/config.ts";

export interface Service {
  readonly baseUrl: string;
  /** serverless-offline's Lambda invoke endpoint (LAMBDA_PORT). */
  readonly lambdaUrl: string;
  /** serverless-offline's own HTTP port, behind the gateway proxy of baseUrl. */
  readonly offlineUrl: string;
  readonly secrets: LocalSecretsManager;
  readonly dynamodb: LocalDynamoDB;
  /** The tables the handlers use, through the real SDK (for arranging and checking state). */
  readonly store: SessionTables;
  /** The handlers' configuration. */
  readonly config: Config;
  /** Every line serverless-offline and the handlers printed so far. */
  readonly output: string[];
  /** The handlers' structured log lines so far (or since output line `from`), parsed. */
  logs(from?: number): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Environment for the handlers (TOKEN_TTL_SECONDS, SECRET_CACHE_SECONDS, ...). */
  env?: Record<string, string>;
  /** Extra operations for the local endpoint (RotateSecret). */
  extraOperations?: Record<string, AsyncOperation>;
  /** Use this endpoint instead of starting one (it must already hold the secrets). */
  secrets?: LocalSecretsManager;
  /** Use this DynamoDB endpoint instead of starting one in memory. */
  dynamodb?: LocalDynamoDB;
  /** The port of baseUrl (default: any free one). */
  port?: number;
  /** Also append every line of output to this file (for test files in other processes). */
  outputFile?: string;
}

/**
 * Starts an in-memory local DynamoDB (unless one is given) and creates the tables and demo users
 * through the SDK, as npm start does. Returns the endpoint and a store on its tables.
 */
export async function startTables(config: Config, given?: LocalDynamoDB) {
  const dynamodb = given ?? (await new LocalDynamoDB({ port: 0 }).start());
  const client = localDynamoClient(dynamodb.url);
  const created = await ensureTables(client, config);
  if (created.includes(config.usersTable)) await seedDemoUsers(client, config);
  return { dynamodb, store: new SessionTables(client, config) };
}

/** Creates the dev signing key on a local Secrets Manager endpoint through the SDK, as npm start does. */
export async function ensureDevKeyOn(secrets: LocalSecretsManager, config: Config): Promise<boolean> {
  const client = localClient(secrets.url);
  try {
    return await ensureDevKey(client, config);
  } finally {
    client.destroy();
  }
}

let instances = 0;

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const env = { STAGE: "dev", ...options.env };
  const secrets =
    options.secrets ??
    (await new LocalSecretsManager({
      port: 0,
      ...(options.extraOperations ? { extraOperations: options.extraOperations } : {}),
    }).start());
  const config = loadConfig(env);
  await ensureDevKeyOn(secrets, config);
  const { dynamodb, store } = await startTables(config, options.dynamodb);
  const [offlinePort, lambdaPort] = [await freePort(), await freePort()];
  const workFolder = `.esbuild-test-${process.pid}-${instances++}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "node_modules/osls/bin/serverless.js",
      "offline",
      "start",
      "--stage",
      env.STAGE,
      "--httpPort",
      String(offlinePort),
      "--lambdaPort",
      String(lambdaPort),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...env,
        ESBUILD_WORK_FOLDER: workFolder,
        ...localSdkEnvironment(secrets.url, dynamodb.url),
      },
    },
  );
  const gateway = await new GatewayProxy({
    port: options.port ?? 0,
    upstreamPort: offlinePort,
    cors: httpApiCors(env),
  }).start();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await gateway.stop();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (options.secrets === undefined) await secrets.stop();
      if (options.dynamodb === undefined) await dynamodb.stop();
      rmSync(workFolder, { recursive: true, force: true });
    })();
    return stopped;
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serverless-offline did not start:\n${output.join("\n")}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") {
          output.push(line);
          if (options.outputFile !== undefined) appendFileSync(options.outputFile, `${line}\n`);
        }
        if (line.includes("Server ready")) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless-offline exited with ${code}:\n${output.join("\n")}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });

  return {
    baseUrl: `http://127.0.0.1:${gateway.port}`,
    lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
    offlineUrl: `http://127.0.0.1:${offlinePort}`,
    secrets,
    dynamodb,
    store,
    config,
    output,
    logs: (from = 0) => parseLogs(output.slice(from)),
    stop,
  };
}

/** The structured (JSON) lines among output lines, parsed. */
export function parseLogs(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    const start = line.indexOf("{");
    if (start < 0) return [];
    try {
      const parsed = JSON.parse(line.slice(start)) as unknown;
      return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
