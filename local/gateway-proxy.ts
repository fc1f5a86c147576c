/**
 * What `npm start` (and the HTTP tests) put in front of serverless-offline: API Gateway's CORS,
 * which the emulator does not reproduce. Without a CORS configuration serverless-offline echoes
 * any Origin with credentials and approves every preflight; with one, it still echoes any Origin
 * on real answers. API Gateway, when the HTTP API has no CORS configuration, adds no CORS header
 * and has no OPTIONS route (404); when it has one, it answers preflights itself, adds the
 * configured headers for the listed origins only, and ignores any CORS header of the backend.
 * This proxy does the same, from the object serverless.yml uses (serverless-cors.cjs).
 *
 * It also answers what offline gets wrong with a JSON error, as API Gateway answers with one: a
 * Lambda timeout or crash (offline sends 200 with the error and its stack trace as the body),
 * headers over Node's limit (Node's bare 431) and bodies over offline's 1 MB (hapi's own 413).
 */

import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo, Socket } from "node:net";
import { availableParallelism } from "node:os";

/** The largest body passed on: below hapi's 1 MB default, so offline never answers with its own 413. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

const PROXY_ERRORS = {
  gateway_timeout: { status: 504, message: "The function did not answer in time." },
  internal_error: { status: 500, message: "An unexpected error occurred." },
  headers_too_large: { status: 431, message: "The request headers are too large." },
  bad_request: { status: 400, message: "The request could not be parsed." },
  payload_too_large: { status: 413, message: `The body must be at most ${MAX_REQUEST_BODY_BYTES} bytes.` },
} as const;

type ProxyError = keyof typeof PROXY_ERRORS;

function errorBody(code: ProxyError): string {
  return JSON.stringify({ error: code, message: PROXY_ERRORS[code].message });
}

/**
 * offline's answer for a handler that timed out or threw, under HTTP API payload 2.0: status 200
 * and, as the body, the mocked Lambda error {errorMessage, errorType, stackTrace}. Returns the
 * error to answer instead, or undefined for a real answer.
 */
export function offlineFailure(status: number | undefined, body: string): ProxyError | undefined {
  if (status !== 200 || !body.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { errorType, errorMessage, stackTrace } = parsed as Record<string, unknown>;
  if (typeof errorType !== "string" || typeof errorMessage !== "string" || !Array.isArray(stackTrace)) {
    return undefined;
  }
  return errorType === "LambdaTimeoutError" ? "gateway_timeout" : "internal_error";
}

/** serverless.yml's `provider.httpApi.cors`: false, or the configuration for ALLOWED_ORIGINS. */
export type HttpApiCors =
  | false
  | {
      readonly allowedOrigins: readonly string[];
      readonly allowCredentials: boolean;
      readonly allowedMethods: readonly string[];
      readonly allowedHeaders: readonly string[];
      readonly maxAge: number;
    };

/** The CORS configuration serverless.yml derives from this environment's ALLOWED_ORIGINS. */
export function httpApiCors(env: Readonly<Record<string, string | undefined>>): HttpApiCors {
  const { corsFor } = createRequire(import.meta.url)("../serverless-cors.cjs") as {
    corsFor(env: Readonly<Record<string, string | undefined>>): HttpApiCors;
  };
  return corsFor(env);
}

export interface GatewayProxyOptions {
  /** Where to listen on 127.0.0.1 (0: any free port). */
  readonly port: number;
  /** serverless-offline's HTTP port on 127.0.0.1. */
  readonly upstreamPort: number;
  readonly cors: HttpApiCors;
  /** Invocations run at once; the rest wait here (default: one per CPU core, at least 2). */
  readonly concurrency?: number;
}

export class GatewayProxy {
  readonly #options: GatewayProxyOptions;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #server: Server;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(options: GatewayProxyOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
    // Node answers a header overflow or a malformed request with a bare status line and no body.
    this.#server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const code: ProxyError = err.code === "HPE_HEADER_OVERFLOW" ? "headers_too_large" : "bad_request";
      const body = errorBody(code);
      socket.end(
        `HTTP/1.1 ${PROXY_ERRORS[code].status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  start(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, "127.0.0.1", () => resolve(this));
    });
  }

  stop(): Promise<void> {
    this.#agent.destroy();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    const { cors } = this.#options;
    // The CORS headers this request earns: none unless its Origin is one of the configured.
    const granted =
      cors !== false && origin !== undefined && cors.allowedOrigins.includes(origin.toLowerCase())
        ? corsHeaders(cors, origin)
        : undefined;
    if (req.method === "OPTIONS") {
      // The API has no OPTIONS route: only a CORS configuration makes API Gateway answer one.
      if (cors === false || origin === undefined || req.headers["access-control-request-method"] === undefined) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
        return;
      }
      res.writeHead(204, granted === undefined ? {} : { ...granted, ...preflightHeaders(cors) }).end();
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_REQUEST_BODY_BYTES) {
      refuse(res, "payload_too_large", granted, true);
      req.resume();
      return;
    }
    // Listened for now: a client that gives up while queued must free its place, not hold it.
    let closed = false;
    const done = new Promise<void>((resolve) =>
      res.once("close", () => {
        closed = true;
        resolve();
      }),
    );
    this.#admit(() => {
      if (!closed) this.#forward(req, res, granted);
      return done;
    });
  }

  /**
   * Runs `invoke` when fewer than `concurrency` invocations are running, else once one ends. In
   * Lambda each concurrent request has a container and its CPU share to itself; offline runs them
   * all on this machine's cores, where 50 sign-ins at once (scrypt: ~32 MiB and tens of ms of CPU
   * each) stretch every one past the time bounds set for a container of its own (the DynamoDB
   * call, the function's timeout) and turn into 503s and 504s. Queued here, as a Lambda cold start
   * would wait for its container, each invocation runs at the pace it would have in the cloud.
   */
  #admit(invoke: () => Promise<void>): void {
    const limit = this.#options.concurrency ?? Math.max(2, availableParallelism());
    const start = () => {
      this.#running++;
      void invoke().finally(() => {
        this.#running--;
        this.#waiting.shift()?.();
      });
    };
    if (this.#running < limit) start();
    else this.#waiting.push(start);
  }

  #forward(req: IncomingMessage, res: ServerResponse, granted: Record<string, string> | undefined): void {
    const upstream = request(
      {
        host: "127.0.0.1",
        port: this.#options.upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.#agent,
      },
      (answer) => {
        const headers = Object.fromEntries(
          Object.entries(answer.headers).filter(([name]) => !name.startsWith("access-control-")),
        );
        if (granted !== undefined) Object.assign(headers, granted);
        // Buffered (local answers are small) to see whether it is offline's mocked Lambda error.
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("error", () => res.destroy());
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          const failure = offlineFailure(answer.statusCode, body.toString("utf8"));
          if (failure !== undefined) return refuse(res, failure, granted);
          res.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      },
    );
    let refused = false;
    upstream.on("error", () => {
      if (refused) return;
      if (res.headersSent) return res.destroy();
      res.writeHead(503, { "content-type": "application/json" }).end('{"message":"Service Unavailable"}');
    });
    req.on("error", () => upstream.destroy());
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_REQUEST_BODY_BYTES) {
        upstream.write(chunk);
        return;
      }
      // A chunked body that grows past the limit: offline never sees the rest.
      refused = true;
      req.removeAllListeners("data");
      req.resume();
      upstream.destroy();
      if (!res.headersSent) refuse(res, "payload_too_large", granted, true);
    });
    req.on("end", () => {
      if (received <= MAX_REQUEST_BODY_BYTES) upstream.end();
    });
  }
}

/** Answers one of the proxy's JSON errors, closing the connection when the body was not read. */
function refuse(
  res: ServerResponse,
  code: ProxyError,
  granted: Record<string, string> | undefined,
  close = false,
): void {
  res
    .writeHead(PROXY_ERRORS[code].status, { ...JSON_HEADERS, ...granted, ...(close ? { connection: "close" } : {}) })
    .end(errorBody(code));
}

function corsHeaders(cors: Exclude<HttpApiCors, false>, origin: string): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    ...(cors.allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
    vary: "origin",
  };
}

function preflightHeaders(cors: Exclude<HttpApiCors, false>): Record<string, string> {
  return {
    "access-control-allow-methods": cors.allowedMethods.join(","),
    "access-control-allow-headers": cors.allowedHeaders.join(","),
    "access-control-max-age": String(cors.maxAge),
  };
}
