/**
 * `npm start`: the local Secrets Manager endpoint (seeded on first start with a dev key and the
 * demo users) plus the real handlers under serverless-offline, behind a proxy that answers CORS
 * as API Gateway does (gateway-proxy.ts), on http://localhost:8000.
 * Ctrl-C stops them. Set AWS_ENDPOINT_URL_SECRETS_MANAGER to use another endpoint (LocalStack).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { loadConfig } from "../shared/config.ts";
import { ConfigError } from "../shared/errors.ts";
import { ensureDevSecrets } from "./dev-secrets.ts";
import { GatewayProxy, httpApiCors } from "./gateway-proxy.ts";
import { rotateSecretOperation } from "./rotate-secret.ts";
import { localSdkEnvironment } from "./sdk-env.ts";
import { DEFAULT_PORT, LocalSecretsManager } from "./secrets-endpoint.ts";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new ConfigError(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

/** A port that was free a moment ago on 127.0.0.1, for serverless-offline behind the proxy. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
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

async function main(): Promise<void> {
  const config = loadConfig({ STAGE: "dev", ...process.env });
  const httpPort = port("PORT", 8000);
  const lambdaPort = port("LAMBDA_PORT", 8002);
  await assertFree(httpPort, "PORT, the HTTP API");
  await assertFree(lambdaPort, "LAMBDA_PORT, serverless-offline's Lambda endpoint");
  const cors = httpApiCors(process.env);
  const offlinePort = await freePort();

  let secrets: LocalSecretsManager | undefined;
  let endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (endpoint === undefined || endpoint === "") {
    const secretsPort = port("LOCAL_SECRETS_PORT", DEFAULT_PORT);
    await assertFree(secretsPort, "LOCAL_SECRETS_PORT, the local Secrets Manager");
    const local: LocalSecretsManager = new LocalSecretsManager({
      port: secretsPort,
      dataFile: process.env.LOCAL_SECRETS_FILE ?? `.local/secrets-${config.stage}.json`,
      // RotateSecret runs the project's rotation steps against this endpoint: `npm run rotate-key`.
      extraOperations: { RotateSecret: rotateSecretOperation((): string => local.url) },
    });
    secrets = await local.start();
    endpoint = local.url;
    for (const name of ensureDevSecrets(local.store, config)) console.log(`created secret ${name}`);
    console.log(`local Secrets Manager listening on ${endpoint}`);
  } else {
    console.log(`using the Secrets Manager endpoint ${endpoint}`);
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
      String(lambdaPort),
    ],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        STAGE: config.stage,
        // serverless-offline hands every AWS_* variable to the handlers.
        ...localSdkEnvironment(endpoint),
      },
    },
  );

  const gateway = await new GatewayProxy({ port: httpPort, upstreamPort: offlinePort, cors }).start();
  console.log(
    `serverless-jwt-auth on http://localhost:${httpPort} (CORS: ${cors === false ? "none" : cors.allowedOrigins.join(", ")}; ` +
      `serverless-offline behind it on port ${offlinePort})`,
  );

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
    process.exit(stopping ? 0 : (code ?? 1));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `npm start: ${err.message}` : err);
  process.exit(1);
});
