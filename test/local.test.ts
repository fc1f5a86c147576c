/**
 * The local tooling a new user meets first: the Secrets Manager endpoint (spoken to with the real
 * SDK), `npm run users -- add`, and `npm start` itself, started and stopped with Ctrl-C.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, describe, expect, it } from "vitest";
import { ensureDevSecrets } from "../local/dev-secrets.ts";
import { localClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/config.ts";
import { passwordMatches } from "../shared/passwords.ts";
import { Client } from "./support/client.ts";
import { freePort, startTables } from "./support/service.ts";

const dir = mkdtempSync(join(tmpdir(), "sjwt-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("local Secrets Manager endpoint", () => {
  it("creates, reads and versions secrets through the real SDK, with AWSPREVIOUS following AWSCURRENT", async () => {
    const secrets = await new LocalSecretsManager({ port: 0 }).start();
    const client = localClient(secrets.url);
    try {
      const created = await client.send(new CreateSecretCommand({ Name: "a/b", SecretString: "one" }));
      const put = await client.send(new PutSecretValueCommand({ SecretId: "a/b", SecretString: "two" }));
      const current = await client.send(new GetSecretValueCommand({ SecretId: "a/b" }));
      const previous = await client.send(
        new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: "AWSPREVIOUS" }),
      );
      const described = await client.send(new DescribeSecretCommand({ SecretId: "a/b" }));

      expect([current.SecretString, current.VersionId]).toEqual(["two", put.VersionId]);
      expect([previous.SecretString, previous.VersionId]).toEqual(["one", created.VersionId]);
      expect(described.VersionIdsToStages).toEqual({
        [String(created.VersionId)]: ["AWSPREVIOUS"],
        [String(put.VersionId)]: ["AWSCURRENT"],
      });
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });

  it("answers the real service's error types", async () => {
    const secrets = await new LocalSecretsManager({ port: 0 }).start();
    const client = localClient(secrets.url);
    try {
      await expect(client.send(new GetSecretValueCommand({ SecretId: "missing" }))).rejects.toMatchObject({
        name: "ResourceNotFoundException",
        $metadata: { httpStatusCode: 400 },
      });
      await client.send(new CreateSecretCommand({ Name: "dup", SecretString: "x" }));
      await expect(client.send(new CreateSecretCommand({ Name: "dup", SecretString: "x" }))).rejects.toMatchObject({
        name: "ResourceExistsException",
      });
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });

  it("keeps its secrets in its file across restarts", async () => {
    const file = join(dir, "persist.json");
    const config = loadConfig({});
    const first = new LocalSecretsManager({ port: 0, dataFile: file });
    expect(ensureDevSecrets(first.store, config)).toEqual([config.signingKeySecretId]);
    const key = first.store.getSecretValue({ SecretId: config.signingKeySecretId });

    const second = new LocalSecretsManager({ port: 0, dataFile: file });
    expect(ensureDevSecrets(second.store, config)).toEqual([]);
    expect(second.store.getSecretValue({ SecretId: config.signingKeySecretId })).toEqual(key);
    expect(JSON.parse(String(key.SecretString))).toMatchObject({
      kty: "oct",
      alg: "HS256",
      k: expect.stringMatching(/^[\w-]{43}$/),
    });
  });
});

function run(args: string[], env: Record<string, string>, input?: string) {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  if (input !== undefined) child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe("npm run users -- add", () => {
  it("adds a user with a piped password as a scrypt hash in the users table, keeping the others", async () => {
    const config = loadConfig({});
    const { dynamodb, store } = await startTables(config);
    try {
      const cli = run(
        ["local/users-cli.ts", "add", "alice"],
        { LOCAL_DYNAMODB_PORT: String(dynamodb.port), LOCAL_SECRETS_PORT: "1" },
        "s3cret-alice\n",
      );
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain("added user alice");
      expect(cli.output()).not.toContain("s3cret-alice");

      const alice = await store.getUser("alice");
      expect(alice?.passwordHash).not.toContain("s3cret-alice");
      await expect(passwordMatches("s3cret-alice", alice?.passwordHash)).resolves.toBe(true);
      await expect(passwordMatches("password1", (await store.getUser("user1"))?.passwordHash)).resolves.toBe(true);
    } finally {
      await dynamodb.stop();
    }
  });

  it("refuses a username no account can have", async () => {
    const cli = run(["local/users-cli.ts", "add", "../evil"], { LOCAL_SECRETS_PORT: "1" }, "x\n");
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/username/);
  });
});

describe("npm start", () => {
  it("serves the walkthrough on its port and stops both servers on Ctrl-C", async () => {
    const [port, lambdaPort, secretsPort, dynamodbPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dataFile = join(dir, "start.json");
    const start = run(["local/start.ts"], {
      PORT: String(port),
      LAMBDA_PORT: String(lambdaPort),
      LOCAL_SECRETS_PORT: String(secretsPort),
      LOCAL_SECRETS_FILE: dataFile,
      LOCAL_DYNAMODB_PORT: String(dynamodbPort),
      LOCAL_DYNAMODB_DIR: join(dir, "start-dynamodb"),
      ESBUILD_WORK_FOLDER: `.esbuild-test-start-${process.pid}`,
    });
    try {
      for (let i = 0; i < 300 && !start.output().includes("Server ready"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(start.output()).toContain("Server ready");
      const browser = new Client(`http://127.0.0.1:${port}`);
      expect((await browser.signIn("user1", "password1")).status).toBe(200);
      expect((await browser.request("GET", "/welcome")).text).toBe("Welcome user1!");
      expect(JSON.parse(readFileSync(dataFile, "utf8")).secrets).toHaveProperty([
        "serverless-jwt-auth/dev/signing-key",
      ]);
    } finally {
      start.child.kill("SIGINT");
      expect(await start.exited).toBe(0);
      rmSync(`.esbuild-test-start-${process.pid}`, { recursive: true, force: true });
    }
    for (const p of [port, secretsPort, dynamodbPort]) {
      await expect(fetch(`http://127.0.0.1:${p}/`)).rejects.toThrow();
    }
  });
});
