/**
 * The gateway proxy of `npm start` answers what serverless-offline gets wrong with JSON errors:
 * a Lambda timeout or crash (offline: 200 with a stack trace as the body), oversized headers
 * (Node: a bare 431) and oversized bodies. Behind it here is a stand-in for offline that answers
 * as offline's HttpServer does for HTTP API payload 2.0 (serverless-offline 14,
 * src/events/http/HttpServer.js: the mocked Lambda error, stringified, as a 200 body).
 */
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayProxy, MAX_REQUEST_BODY_BYTES } from "../local/gateway-proxy.ts";

const offlineAnswers: Record<string, { errorMessage: string; errorType: string }> = {
  "/timeout": { errorMessage: "[504] - Lambda timeout.", errorType: "LambdaTimeoutError" },
  "/crash": { errorMessage: "Cannot read properties of undefined", errorType: "TypeError" },
};

let upstream: Server;
let proxy: GatewayProxy;
let upstreamBodies: number[];
let inFlight = 0;
let mostInFlight = 0;
const held: (() => void)[] = [];

beforeAll(async () => {
  upstreamBodies = [];
  upstream = createServer((req: IncomingMessage, res) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on("end", () => {
      if (req.url === "/held") {
        // Answered when the test releases it, so the test sees how many run at once.
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        held.push(() => {
          inFlight--;
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
        return;
      }
      upstreamBodies.push(size);
      const failure = offlineAnswers[req.url ?? ""];
      const body =
        failure === undefined
          ? JSON.stringify({ ok: true, received: size })
          : JSON.stringify({ ...failure, stackTrace: ["Error: at LambdaFunction.js:290", "at async runHandler"] });
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  proxy = await new GatewayProxy({ port: 0, upstreamPort, cors: false }).start();
});

afterAll(async () => {
  await proxy.stop();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(path: string, options: { headers?: Record<string, string>; body?: Buffer; chunked?: boolean } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: proxy.port,
        path,
        method: options.body === undefined ? "GET" : "POST",
        headers: {
          ...options.headers,
          ...(options.body !== undefined && !options.chunked ? { "content-length": options.body.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    if (options.body === undefined) req.end();
    else if (options.chunked) {
      // Sent in pieces without a Content-Length, so only counting the bytes can stop it.
      for (let at = 0; at < options.body.length; at += 64 * 1024) req.write(options.body.subarray(at, at + 64 * 1024));
      req.end();
    } else req.end(options.body);
  });
}

describe("gateway proxy", () => {
  it("answers offline's Lambda timeout (a 200 with a stack trace) with a 504 JSON error", async () => {
    const reply = await send("/timeout");

    expect(reply.status).toBe(504);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({
      error: "gateway_timeout",
      message: "The function did not answer in time.",
    });
    expect(reply.body).not.toContain("stackTrace");
  });

  it("answers a crashed handler with a 500 JSON error, never its stack trace", async () => {
    const reply = await send("/crash");

    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ error: "internal_error", message: "An unexpected error occurred." });
  });

  it("passes a real answer through unchanged", async () => {
    const reply = await send("/ok", { body: Buffer.from('{"a":1}') });

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true, received: 7 });
  });

  it("answers a 64 KB cookie with a 431 JSON error instead of Node's empty one", async () => {
    const reply = await send("/ok", { headers: { cookie: `token=${"a".repeat(64 * 1024)}` } });

    expect(reply.status).toBe(431);
    expect(JSON.parse(reply.body)).toEqual({
      error: "headers_too_large",
      message: "The request headers are too large.",
    });
  });

  it("refuses a body over the limit with a 413 JSON error before offline sees it", async () => {
    const before = upstreamBodies.length;
    const reply = await send("/ok", { body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x61) });

    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ error: "payload_too_large" });
    expect(upstreamBodies.length).toBe(before);
  });

  it("refuses a chunked body that grows over the limit with a 413 JSON error", async () => {
    const reply = await send("/ok", { body: Buffer.alloc(2 * MAX_REQUEST_BODY_BYTES, 0x61), chunked: true });

    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ error: "payload_too_large" });
    expect(upstreamBodies.every((size) => size <= MAX_REQUEST_BODY_BYTES)).toBe(true);
  });
});

describe("gateway proxy's queue", () => {
  it("runs at most `concurrency` invocations at once and answers every queued one", async () => {
    const queued = await new GatewayProxy({
      port: 0,
      upstreamPort: (upstream.address() as AddressInfo).port,
      cors: false,
      concurrency: 2,
    }).start();
    try {
      const replies = Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${queued.port}/held`));
      let answered = 0;
      while (answered < 10) {
        // Released one at a time once as many as may run are held (fewer at the end).
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (held.length < Math.min(2, 10 - answered)) continue;
        expect(inFlight).toBeLessThanOrEqual(2);
        held.shift()?.();
        answered++;
      }
      const statuses = (await Promise.all(replies)).map((reply) => reply.status);

      expect(statuses).toEqual(Array(10).fill(200));
      expect(mostInFlight).toBe(2);
    } finally {
      await queued.stop();
    }
  });
  it("frees the place of a client that gave up while queued", async () => {
    const queued = await new GatewayProxy({
      port: 0,
      upstreamPort: (upstream.address() as AddressInfo).port,
      cors: false,
      concurrency: 1,
    }).start();
    try {
      const first = fetch(`http://127.0.0.1:${queued.port}/held`);
      while (held.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
      const quitter = new AbortController();
      const gaveUp = fetch(`http://127.0.0.1:${queued.port}/ok`, { signal: quitter.signal }).catch(() => "aborted");
      await new Promise((resolve) => setTimeout(resolve, 20));
      quitter.abort();
      expect(await gaveUp).toBe("aborted");
      held.shift()?.();
      expect((await first).status).toBe(200);

      const after = await fetch(`http://127.0.0.1:${queued.port}/ok`, { signal: AbortSignal.timeout(2000) });

      expect(after.status).toBe(200);
    } finally {
      await queued.stop();
    }
  });
});
