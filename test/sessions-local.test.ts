/**
 * What `npm start` keeps and guards: sessions survive a restart (the local DynamoDB persists
 * under its folder), and its DynamoDB endpoint answers only local SDK clients, not web pages.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { decodeJwt } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { freePort } from "../local/free-port.ts";
import { localDynamoClient } from "../local/sdk-env.ts";
import { Client } from "./support/client.ts";

const dir = mkdtempSync(join(tmpdir(), "sjwt-sessions-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm start` until "Server ready"; stop() sends Ctrl-C and waits for it to exit. */
async function npmStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Server ready")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => reject(new Error(`npm start exited:\n${output}`)));
  });
  return {
    output: () => output,
    stop: async () => {
      child.kill("SIGINT");
      return exited;
    },
  };
}

describe("npm start", () => {
  it("keeps sessions across a restart: a token from before it refreshes after it", async () => {
    const [port, lambdaPort, secretsPort, dynamodbPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env = {
      PORT: String(port),
      LAMBDA_PORT: String(lambdaPort),
      LOCAL_SECRETS_PORT: String(secretsPort),
      LOCAL_SECRETS_FILE: join(dir, "secrets.json"),
      LOCAL_DYNAMODB_PORT: String(dynamodbPort),
      LOCAL_DYNAMODB_DIR: join(dir, "dynamodb"),
      // Refreshable after one second, so the restart itself is the time that passes.
      TOKEN_TTL_SECONDS: "120",
      REFRESH_WINDOW_SECONDS: "119",
      ESBUILD_WORK_FOLDER: `.esbuild-test-restart-${process.pid}`,
    };
    const browser = new Client(`http://127.0.0.1:${port}`);
    try {
      const first = await npmStart(env);
      expect(first.output()).toContain("added demo user user1");
      expect((await browser.signIn("user1", "password1")).status).toBe(200);
      const before = decodeJwt(String(await browser.token()));
      expect(await first.stop()).toBe(0);

      const second = await npmStart(env);
      try {
        expect(second.output()).not.toContain("created table");
        const reply = await browser.request("POST", "/refresh");
        expect(reply.status).toBe(200);
        expect(decodeJwt(String(await browser.token())).sid).toBe(before.sid);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      rmSync(env.ESBUILD_WORK_FOLDER, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the local DynamoDB endpoint", () => {
  const post = (port: number, headers: Record<string, string>) =>
    new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.ListTables",
            ...headers,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.once("error", reject);
      req.end("{}");
    });

  it("answers the SDK, and refuses a Host that is not a loopback name or a request from a web page", async () => {
    const dynamodb = await new LocalDynamoDB({ port: 0 }).start();
    const client = localDynamoClient(dynamodb.url);
    try {
      await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      // Unsigned, so dynalite itself answers 400: the guard let it through.
      expect(await post(dynamodb.port, { host: `localhost:${dynamodb.port}` })).toBe(400);
      expect(await post(dynamodb.port, { host: "rebound.example.com" })).toBe(403);
      expect(await post(dynamodb.port, { host: `127.0.0.1:${dynamodb.port}`, origin: "https://evil.example" })).toBe(
        403,
      );
    } finally {
      client.destroy();
      await dynamodb.stop();
    }
  });
});
