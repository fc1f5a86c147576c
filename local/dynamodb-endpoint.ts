/**
 * A local DynamoDB endpoint: dynalite (DynamoDB's API in Node, on LevelDB) behind a guard that
 * answers only the SDK. A request whose Host is not a loopback name (DNS rebinding) or that
 * carries an Origin (a web page; dynalite would approve any origin) is refused with 403 before
 * dynalite sees it. For tests it counts calls and can fail on demand (throttle, error, delay,
 * go away), like the local Secrets Manager endpoint.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { FaultInjection } from "./fault-injection.ts";
import { addressedToLoopback } from "./loopback-host.ts";

export const DEFAULT_PORT = 4567;

type Dynalite = (options: Record<string, unknown>) => Server;
const dynalite = createRequire(import.meta.url)("dynalite") as Dynalite;

export interface LocalDynamoDBOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** LevelDB folder kept across restarts; in memory only when absent. */
  path?: string;
}

/** A running local DynamoDB endpoint. */
export class LocalDynamoDB extends FaultInjection {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #options: LocalDynamoDBOptions;
  #port = 0;
  #listening = false;

  constructor(options: LocalDynamoDBOptions = {}) {
    super();
    this.#options = options;
    // Tables are ACTIVE at once: nothing waits for a CREATING state that means nothing locally.
    this.#server = dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(options.path ? { path: options.path } : {}),
    });
    const [serve] = this.#server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
    if (serve === undefined) throw new Error("dynalite's server has no request handler");
    this.#server.removeAllListeners("request");
    this.#server.on("request", (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res, serve));
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://${this.#options.host ?? "127.0.0.1"}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Starts listening (again, after stop(), on the same port, with the same data). */
  async start(): Promise<this> {
    if (this.#listening) return this;
    const port = this.#port || (this.#options.port ?? DEFAULT_PORT);
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, this.#options.host ?? "127.0.0.1", () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    const address = this.#server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : port;
    this.#listening = true;
    return this;
  }

  /**
   * Stops listening, drops open connections and closes the database until start(). An endpoint
   * without a `path` keeps nothing: it starts again empty.
   */
  async stop(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve, reject) => this.#server.close((err) => (err ? reject(err) : resolve())));
  }

  async #handle(
    req: IncomingMessage,
    res: ServerResponse,
    serve: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> {
    const refuse = (status: number, type: string, message: string) => {
      res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": type });
      res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
    };
    if (!addressedToLoopback(req.headers.host, this.port) || req.headers.origin !== undefined) {
      refuse(403, "AccessDeniedException", "This local endpoint answers only local SDK clients.");
      req.resume();
      return;
    }
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.slice(target.indexOf(".") + 1);
    const fault = this.recordCall(operation);
    if (fault.kind === "hang-up") {
      req.socket.destroy();
      return;
    }
    if (fault.kind === "throttle" || fault.kind === "error") {
      req.resume();
      if (fault.kind === "throttle")
        refuse(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.");
      else refuse(fault.statusCode ?? 400, fault.type, `Injected ${fault.type}`);
      return;
    }
    if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
    serve(req, res);
  }
}
