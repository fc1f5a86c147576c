/**
 * What `npm start` (and the HTTP tests) put in front of serverless-offline: API Gateway's CORS,
 * which the emulator does not reproduce. Without a CORS configuration serverless-offline echoes
 * any Origin with credentials and approves every preflight; with one, it still echoes any Origin
 * on real answers. API Gateway, when the HTTP API has no CORS configuration, adds no CORS header
 * and has no OPTIONS route (404); when it has one, it answers preflights itself, adds the
 * configured headers for the listed origins only, and ignores any CORS header of the backend.
 * This proxy does the same, from the object serverless.yml uses (serverless-cors.cjs).
 */

import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

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
}

export class GatewayProxy {
  readonly #options: GatewayProxyOptions;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #server: Server;

  constructor(options: GatewayProxyOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
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
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.on("error", () => res.destroy());
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json" });
      res.end('{"message":"Service Unavailable"}');
    });
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  }
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
