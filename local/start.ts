/**
 * `npm start`: the local Secrets Manager and DynamoDB endpoints, the dev key, tables and demo
 * users created through the SDK when missing, plus the real handlers under serverless-offline,
 * behind a proxy that answers CORS as API Gateway does (gateway-proxy.ts), on
 * http://localhost:8000. Ctrl-C stops them all. Set AWS_ENDPOINT_URL_SECRETS_MANAGER or
 * AWS_ENDPOINT_URL_DYNAMODB to use another endpoint (LocalStack, moto, DynamoDB Local).
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { loadConfig } from "../shared/core/config.ts";
import { ConfigError } from "../shared/core/errors.ts";
import { ensureDevData } from "./dev-data.ts";
import { DEFAULT_PORT as DEFAULT_DYNAMODB_PORT, LocalDynamoDB } from "./dynamodb-endpoint.ts";
import { freePort } from "./free-port.ts";
import { GatewayProxy, httpApiCors } from "./gateway-proxy.ts";
import { DEFAULT_STATE_FOLDER, prepareStateFolders } from "./local-state.ts";
import { rotateSecretOperation } from "./rotate-secret.ts";
import { localClient, localDynamoClient, localSdkEnvironment } from "./sdk-env.ts";
import { DEFAULT_PORT, LocalSecretsManager } from "./secrets-endpoint.ts";

/** The port a variable names, or `fallback` when it is unset; throws ConfigError naming it otherwise. */
function port(name: string, fallback?: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new ConfigError(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

function assertFree(portNumber: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", () =>
      reject(new ConfigError(`port ${portNumber} (${what}) is already in use: stop what holds it, or set another`)),
    );
    probe.listen(portNumber, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/**
 * Where serverless-offline's Lambda invoke endpoint listens: the port LAMBDA_PORT names, or by
 * default a UNIX socket beside the local secrets file. A socket is no web origin, so no page the
 * developer visits can reach it, not even by rebinding its own name to 127.0.0.1 (offline checks no
 * Host header); file permissions, not the network, decide who may connect. Throws ConfigError when
 * another `npm start` holds the socket.
 */
async function invokeEndpoint(folder: string, stage: string): Promise<string> {
  if (process.env.LAMBDA_PORT !== undefined && process.env.LAMBDA_PORT !== "") {
    const lambdaPort = port("LAMBDA_PORT");
    await assertFree(lambdaPort, "LAMBDA_PORT, serverless-offline's Lambda endpoint");
    return String(lambdaPort);
  }
  const socket = resolve(folder, `lambda-invoke-${stage}.sock`);
  const alive = await new Promise<boolean>((answer) => {
    const probe = connect(socket, () => {
      probe.destroy();
      answer(true);
    });
    probe.once("error", () => answer(false));
  });
  if (alive) throw new ConfigError(`${socket} is in use: another npm start is running here`);
  rmSync(socket, { force: true }); // left behind by a run that was killed
  return socket;
}

/** Resolves true once something accepts connections on 127.0.0.1:port, false once `gaveUp()`. */
async function untilListening(portNumber: number, gaveUp: () => boolean): Promise<boolean> {
  while (!gaveUp()) {
    const open = await new Promise<boolean>((answer) => {
      const probe = connect(portNumber, "127.0.0.1", () => {
        probe.destroy();
        answer(true);
      });
      probe.once("error", () => answer(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<void> {
  // This process talks to the endpoints too (to create what is missing): no Node 20 notice from the SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const config = loadConfig({ STAGE: "dev", ...process.env });
  // What dynalite and the secrets file create later is this user's alone (0700 folders, 0600
  // files), whatever umask the shell had; serverless-offline inherits it.
  process.umask(0o077);
  const httpPort = port("PORT", 8000);
  await assertFree(httpPort, "PORT, the HTTP API");
  const dataFile = process.env.LOCAL_SECRETS_FILE ?? `${DEFAULT_STATE_FOLDER}/secrets-${config.stage}.json`;
  const dynamodbDir =
    process.env.AWS_ENDPOINT_URL_DYNAMODB === undefined || process.env.AWS_ENDPOINT_URL_DYNAMODB === ""
      ? (process.env.LOCAL_DYNAMODB_DIR ?? `${DEFAULT_STATE_FOLDER}/dynamodb-${config.stage}`)
      : undefined;
  prepareStateFolders(dataFile, dynamodbDir);
  const lambdaEndpoint = await invokeEndpoint(dirname(resolve(dataFile)), config.stage);
  const cors = httpApiCors(process.env);
  const offlinePort = await freePort();

  let secrets: LocalSecretsManager | undefined;
  let endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (endpoint === undefined || endpoint === "") {
    const secretsPort = port("LOCAL_SECRETS_PORT", DEFAULT_PORT);
    await assertFree(secretsPort, "LOCAL_SECRETS_PORT, the local Secrets Manager");
    const local: LocalSecretsManager = new LocalSecretsManager({
      port: secretsPort,
      dataFile,
      // RotateSecret runs the project's rotation steps against this endpoint: `npm run rotate-key`.
      extraOperations: { RotateSecret: rotateSecretOperation((): string => local.url) },
    });
    secrets = await local.start();
    endpoint = local.url;
    console.log(`local Secrets Manager listening on ${endpoint}`);
  } else {
    console.log(`using the Secrets Manager endpoint ${endpoint}`);
  }

  let dynamodb: LocalDynamoDB | undefined;
  let dynamodbEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (dynamodbEndpoint === undefined || dynamodbEndpoint === "") {
    const dynamodbPort = port("LOCAL_DYNAMODB_PORT", DEFAULT_DYNAMODB_PORT);
    await assertFree(dynamodbPort, "LOCAL_DYNAMODB_PORT, the local DynamoDB");
    const path = dynamodbDir ?? `${DEFAULT_STATE_FOLDER}/dynamodb-${config.stage}`;
    dynamodb = await new LocalDynamoDB({ port: dynamodbPort, path }).start();
    dynamodbEndpoint = dynamodb.url;
    console.log(`local DynamoDB listening on ${dynamodbEndpoint} (data in ${path})`);
  } else {
    console.log(`using the DynamoDB endpoint ${dynamodbEndpoint}`);
  }

  const clients = { secrets: localClient(endpoint), dynamodb: localDynamoClient(dynamodbEndpoint) };
  try {
    for (const line of await ensureDevData(clients, config)) console.log(line);
  } finally {
    clients.secrets.destroy();
    clients.dynamodb.destroy();
  }

  const offline = spawn(
    process.execPath,
    [
      "node_modules/osls/bin/serverless.js",
      "offline",
      "start",
      "--stage",
      config.stage,
      "--httpPort",
      String(offlinePort),
      "--lambdaPort",
      lambdaEndpoint,
    ],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        STAGE: config.stage,
        // The page's origin for passkeys: http://localhost on PORT (the functions' own default is :8000).
        WEBAUTHN_ORIGINS: process.env.WEBAUTHN_ORIGINS || `http://localhost:${httpPort}`,
        // serverless-offline hands every AWS_* variable to the handlers.
        ...localSdkEnvironment(endpoint, dynamodbEndpoint),
      },
    },
  );

  const gateway = await new GatewayProxy({ port: httpPort, upstreamPort: offlinePort, cors }).start();
  // offline builds the bundles before it listens; until then the proxy answers 503. Say when the
  // service is ready on the port the README names, not only offline's own internal one.
  void untilListening(offlinePort, () => offline.exitCode !== null).then((ready) => {
    if (!ready) return;
    console.log(
      `ready: serverless-jwt-auth on http://localhost:${httpPort} (CORS: ${cors === false ? "none" : cors.allowedOrigins.join(", ")}; ` +
        `serverless-offline behind it on port ${offlinePort})`,
    );
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    offline.kill(signal);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  offline.on("exit", async (code) => {
    await gateway.stop();
    await secrets?.stop();
    await dynamodb?.stop();
    process.exit(stopping ? 0 : (code ?? 1));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `npm start: ${err.message}` : err);
  process.exit(1);
});
