/**
 * A local AWS Secrets Manager endpoint: the JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.<Operation>`) for the operations this project uses, with the real service's
 * error shapes, so the real SDK client talks to it over HTTP exactly as it does to AWS.
 * For tests it counts calls and can fail on demand (throttle, error, delay, go away).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { FaultInjection } from "./fault-injection.ts";
import { addressedToLoopback } from "./loopback-host.ts";
import { AwsError, SecretStore } from "./secrets-data.ts";

export const DEFAULT_PORT = 4566; // LocalStack's, so LocalStack can stand in for this endpoint

type Operation = (store: SecretStore, input: Record<string, unknown>) => Record<string, unknown>;

// Looked up by the client's X-Amz-Target: a Map, so "constructor" or "__proto__" finds nothing.
const OPERATIONS = new Map<string, Operation>([
  ["CreateSecret", (store, input) => store.createSecret(input)],
  ["GetSecretValue", (store, input) => store.getSecretValue(input)],
  ["PutSecretValue", (store, input) => store.putSecretValue(input)],
  ["UpdateSecretVersionStage", (store, input) => store.updateSecretVersionStage(input)],
  ["DescribeSecret", (store, input) => store.describeSecret(input)],
]);

/** Extra operations a caller can plug in (RotateSecret needs the project's rotation handler). */
export type AsyncOperation = (store: SecretStore, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface LocalSecretsManagerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where secrets are kept across restarts; in memory only when absent. */
  dataFile?: string;
  extraOperations?: Record<string, AsyncOperation>;
}

const MAX_BODY = 1024 * 1024;

/** A running local Secrets Manager endpoint. */
export class LocalSecretsManager extends FaultInjection {
  readonly store: SecretStore;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #options: LocalSecretsManagerOptions;
  readonly #extraOperations: ReadonlyMap<string, AsyncOperation>;
  #port = 0;

  constructor(options: LocalSecretsManagerOptions = {}) {
    super();
    this.#options = options;
    this.#extraOperations = new Map(Object.entries(options.extraOperations ?? {}));
    this.store = new SecretStore(options.dataFile);
  }

  get url(): string {
    return `http://${this.#options.host ?? "127.0.0.1"}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Starts listening (again, after stop(), on the same port). Rejects with EADDRINUSE. */
  async start(): Promise<this> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    const port = this.#port || (this.#options.port ?? DEFAULT_PORT);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.#options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : port;
    this.#server = server;
    return this;
  }

  /** Stops listening and drops open connections: the endpoint is gone until start(). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const reply = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        "Content-Type": "application/x-amz-json-1.1",
        "x-amzn-RequestId": requestId,
        ...(errorType === undefined ? {} : { "x-amzn-ErrorType": errorType }),
      });
      res.end(JSON.stringify(body));
    };
    const fail = (err: AwsError) => reply(err.statusCode, { __type: err.type, message: err.message }, err.type);
    if (!addressedToLoopback(req.headers.host, this.#port)) {
      // A web page that rebinds its own name to 127.0.0.1 sends its name as Host: refuse it, so
      // no site the developer visits can read the dev key through the browser.
      reply(
        403,
        { __type: "AccessDeniedException", message: "This endpoint answers only localhost." },
        "AccessDeniedException",
      );
      return;
    }
    try {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith("secretsmanager.") ? target.slice("secretsmanager.".length) : "";
      const body = await readBody(req);
      const fault = this.recordCall(operation);
      if (fault.kind === "hang-up") {
        req.socket.destroy();
        return;
      }
      if (fault.kind === "throttle") throw new AwsError("ThrottlingException", "Rate exceeded");
      if (fault.kind === "error") throw new AwsError(fault.type, `Injected ${fault.type}`, fault.statusCode ?? 400);
      if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
      let input: Record<string, unknown>;
      try {
        input = body === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
      }
      const extra = this.#extraOperations.get(operation);
      const known = OPERATIONS.get(operation);
      if (extra !== undefined) reply(200, await extra(this.store, input));
      else if (known !== undefined) reply(200, known(this.store, input));
      else throw new AwsError("UnknownOperationException", `Operation ${operation || "(none)"} is not supported here.`);
    } catch (err) {
      if (err instanceof AwsError) fail(err);
      else fail(new AwsError("InternalServiceError", err instanceof Error ? err.message : "internal error", 500));
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new AwsError("InvalidRequestException", "Request body too large."));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
