/**
 * The local tooling a new user meets first: the Secrets Manager endpoint (spoken to with the real
 * SDK), `npm run users -- add`, `npm start` itself (started, stopped with Ctrl-C, started again over
 * the same data, its state private under a lax umask), and the local DynamoDB endpoint's guard
 * against web pages.
 */

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { decodeJwt } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { freePort } from "../local/free-port.ts";
import { localClient, localDynamoClient } from "../local/sdk-env.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/core/config.ts";
import { passwords } from "../shared/core/passwords.ts";
import { Client } from "./support/client.ts";
import { runCommand } from "./support/command.ts";
import { ensureDevKeyOn, startTables } from "./support/service.ts";
import { usersCommand } from "./support/users-command.ts";

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
    const first = await new LocalSecretsManager({ port: 0, dataFile: file }).start();
    expect(await ensureDevKeyOn(first, config)).toBe(true);
    const key = first.store.getSecretValue({ SecretId: config.signingKeySecretId });
    await first.stop();

    const second = await new LocalSecretsManager({ port: 0, dataFile: file }).start();
    expect(await ensureDevKeyOn(second, config)).toBe(false);
    await second.stop();
    expect(second.store.getSecretValue({ SecretId: config.signingKeySecretId })).toEqual(key);
    expect(JSON.parse(String(key.SecretString))).toMatchObject({
      kty: "oct",
      alg: "HS256",
      k: expect.stringMatching(/^[\w-]{43}$/),
    });
  });
});

/** One request to the endpoint with the Host header and target a browser or the SDK would send. */
function rawCall(port: number, host: string, operation: string, body: unknown) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: {
          host,
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `secretsmanager.${operation}`,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("local Secrets Manager endpoint, seen from a web page", () => {
  it.each([
    ["a rebound site name", "attacker.example"],
    ["a rebound site name with the port", "attacker.example:PORT"],
    ["a name that starts like localhost", "localhost.attacker.example:PORT"],
    ["loopback on another port", "127.0.0.1:1"],
  ])("refuses a request whose Host is %s, and reads nothing", async (_name, host) => {
    const secrets = await new LocalSecretsManager({ port: 0 }).start();
    await ensureDevKeyOn(secrets, loadConfig({}));
    try {
      const answer = await rawCall(secrets.port, host.replace("PORT", String(secrets.port)), "GetSecretValue", {
        SecretId: "serverless-jwt-auth/dev/signing-key",
      });

      expect(answer).toEqual({
        status: 403,
        body: { __type: "AccessDeniedException", message: "This endpoint answers only localhost." },
      });
      expect(secrets.count("GetSecretValue")).toBe(0);
    } finally {
      await secrets.stop();
    }
  });

  it.each(["localhost:PORT", "127.0.0.1:PORT", "[::1]:PORT", "LOCALHOST:PORT", "localhost"])(
    "answers a request addressed to %s",
    async (host) => {
      const secrets = await new LocalSecretsManager({ port: 0 }).start();
      await ensureDevKeyOn(secrets, loadConfig({}));
      try {
        const answer = await rawCall(secrets.port, host.replace("PORT", String(secrets.port)), "GetSecretValue", {
          SecretId: "serverless-jwt-auth/dev/signing-key",
        });

        expect(answer.status).toBe(200);
        expect(answer.body.Name).toBe("serverless-jwt-auth/dev/signing-key");
      } finally {
        await secrets.stop();
      }
    },
  );

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "knows no operation named %s",
    async (operation) => {
      const secrets = await new LocalSecretsManager({ port: 0 }).start();
      try {
        const answer = await rawCall(secrets.port, `localhost:${secrets.port}`, operation, {});

        expect(answer).toEqual({
          status: 400,
          body: { __type: "UnknownOperationException", message: `Operation ${operation} is not supported here.` },
        });
      } finally {
        await secrets.stop();
      }
    },
  );

  it('keeps a version named "__proto__" as a version, without touching any object\'s prototype', async () => {
    const file = join(dir, "proto.json");
    const version = { secretString: "v", createdDate: 1, stages: ["AWSCURRENT"] };
    writeFileSync(
      file,
      `{"secrets":{"p":{"arn":"arn:p","name":"p","createdDate":1,"lastChangedDate":1,"versions":{"__proto__":${JSON.stringify(version)}}}}}`,
    );
    const secrets = await new LocalSecretsManager({ port: 0, dataFile: file }).start();
    const client = localClient(secrets.url);
    try {
      const put = new PutSecretValueCommand({ SecretId: "p", ClientRequestToken: "__proto__", SecretString: "w" });
      await expect(client.send(put)).rejects.toMatchObject({ name: "ValidationException" });
      const described = await client.send(new DescribeSecretCommand({ SecretId: "p" }));
      const value = await client.send(new GetSecretValueCommand({ SecretId: "p" }));

      expect(Object.keys(described.VersionIdsToStages ?? {})).toEqual(["__proto__"]);
      expect([value.VersionId, value.SecretString]).toEqual(["__proto__", "v"]);
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).secretString).toBeUndefined();
    } finally {
      client.destroy();
      await secrets.stop();
    }
  });
});

describe("npm run users -- add", () => {
  it("adds a user with a piped password as a scrypt hash in the users table, keeping the others", async () => {
    const config = loadConfig({});
    const { dynamodb, store } = await startTables(config);
    try {
      const cli = runCommand(
        ["local/users-cli.ts", "add", "alice"],
        { LOCAL_DYNAMODB_PORT: String(dynamodb.port), LOCAL_SECRETS_PORT: "1" },
        "s3cret-alice-in-wonderland\n",
      );
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain("added user alice");
      expect(cli.output()).not.toContain("s3cret-alice-in-wonderland");

      const alice = await store.getUser("alice");
      expect(alice?.passwordHash).not.toContain("s3cret-alice-in-wonderland");
      await expect(passwords.matches("s3cret-alice-in-wonderland", alice?.passwordHash)).resolves.toBe(true);
      await expect(passwords.matches("password1", (await store.getUser("user1"))?.passwordHash)).resolves.toBe(true);
    } finally {
      await dynamodb.stop();
    }
  });

  it("refuses a password the policy refuses, saying why, and adds no one", async () => {
    const config = loadConfig({});
    const { dynamodb, store } = await startTables(config);
    try {
      const cli = await usersCommand(dynamodb.url, config, ["add", "alice"], "s3cret-alice\n");
      expect(cli).toEqual({
        code: 1,
        output: expect.stringContaining("The password must be at least 15 characters long"),
      });
      expect(await store.getUser("alice")).toBeUndefined();
    } finally {
      await dynamodb.stop();
    }
  });

  it("refuses a username no account can have", async () => {
    const cli = runCommand(["local/users-cli.ts", "add", "../evil"], { LOCAL_SECRETS_PORT: "1" }, "x\n");
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/username/);
  });
});

/** What `curl --unix-socket` does: one Lambda invocation through serverless-offline's socket. */
function invokeThroughSocket(socketPath: string, functionName: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { socketPath, method: "POST", path: `/2015-03-31/functions/${functionName}/invocations` },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}

/** Every path under `root` (itself included) with its permission bits, as "0700 path". */
function modes(root: string): string[] {
  const found = [`${(statSync(root).mode & 0o777).toString(8).padStart(4, "0")} ${root}`];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) found.push(...modes(path));
    else if (entry.isFile()) found.push(`${(statSync(path).mode & 0o777).toString(8).padStart(4, "0")} ${path}`);
  }
  return found;
}

/** Leaves the DynamoDB folder open (0755, a 0644 file in it), as an earlier run under a lax umask might have. */
function leaveOpen(dynamodbDir: string): void {
  mkdirSync(dynamodbDir, { recursive: true, mode: 0o755 });
  chmodSync(dynamodbDir, 0o755);
  writeFileSync(join(dynamodbDir, "LOG.old"), "left by an earlier run", { mode: 0o644 });
  chmodSync(join(dynamodbDir, "LOG.old"), 0o644);
}

/** The paths of npm start's state that are not private: folders 0700, files 0600. */
function notPrivate(secretsFolder: string, dynamodbDir: string): string[] {
  const found = [...modes(secretsFolder), ...modes(dynamodbDir)];
  expect(found.some((line) => line.endsWith("secrets.json"))).toBe(true);
  return found.filter((line) =>
    statSync(line.slice(5)).isFile() ? !line.startsWith("0600") : !line.startsWith("0700"),
  );
}

describe("npm start", () => {
  it("serves the walkthrough, invokes only through a socket, keeps its state private, stops on Ctrl-C, and keeps sessions across a restart", async () => {
    const [port, secretsPort, dynamodbPort] = [await freePort(), await freePort(), await freePort()];
    // A folder of its own for the secrets file: npm start creates it, private.
    const secretsFolder = join(dir, "start");
    const dataFile = join(secretsFolder, "secrets.json");
    const socket = join(secretsFolder, "lambda-invoke-dev.sock");
    const dynamodbDir = join(dir, "start-dynamodb");
    const env = {
      PORT: String(port),
      LOCAL_SECRETS_PORT: String(secretsPort),
      LOCAL_SECRETS_FILE: dataFile,
      LOCAL_DYNAMODB_PORT: String(dynamodbPort),
      LOCAL_DYNAMODB_DIR: dynamodbDir,
      // Refreshable at once, so the restart itself is the time that passes.
      TOKEN_TTL_SECONDS: "120",
      REFRESH_WINDOW_SECONDS: "119",
      ESBUILD_WORK_FOLDER: `.esbuild-test-start-${process.pid}`,
    };
    const browser = new Client(`http://127.0.0.1:${port}`);
    try {
      leaveOpen(dynamodbDir);
      const first = await npmStart(env);
      try {
        expect(first.output()).toContain("added demo user user1");
        expect((await browser.signIn("user1", "password1")).status).toBe(200);
        expect((await browser.request("GET", "/welcome")).text).toBe("Welcome user1!");
        expect(JSON.parse(readFileSync(dataFile, "utf8")).secrets).toHaveProperty([
          "serverless-jwt-auth/dev/signing-key",
        ]);
        const invoked = await invokeThroughSocket(socket, "serverless-jwt-auth-dev-logout");
        expect(invoked.status).toBe(200);
        expect(JSON.parse(invoked.body)).toMatchObject({ statusCode: 200 });
        expect(statSync(socket).isSocket()).toBe(true);
        expect(notPrivate(secretsFolder, dynamodbDir)).toEqual([]);
      } finally {
        expect(await first.stop()).toBe(0);
      }
      for (const p of [port, secretsPort, dynamodbPort]) {
        await expect(fetch(`http://127.0.0.1:${p}/`)).rejects.toThrow();
      }
      await expect(invokeThroughSocket(socket, "serverless-jwt-auth-dev-logout")).rejects.toThrow();

      // Again with LAMBDA_PORT (no socket beside the state), over a folder left open meanwhile.
      const before = decodeJwt(String(await browser.token()));
      leaveOpen(dynamodbDir);
      const second = await npmStart({ ...env, LAMBDA_PORT: String(await freePort()) });
      try {
        expect(second.output()).not.toContain("created table");
        expect((await browser.request("POST", "/refresh")).status).toBe(200);
        expect(decodeJwt(String(await browser.token())).sid).toBe(before.sid);
        expect(notPrivate(secretsFolder, dynamodbDir)).toEqual([]);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      rmSync(env.ESBUILD_WORK_FOLDER, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * Runs `npm start` under a umask of 022 (so that only npm start's own care keeps its state
 * private) until "Server ready"; stop() sends Ctrl-C and resolves with its exit code.
 */
async function npmStart(env: Record<string, string>) {
  const start = runCommand(["local/start.ts"], env, undefined, { umask: "022" });
  const ready = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (start.output().includes("Server ready")) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
    void start.exited.then(() => {
      clearInterval(poll);
      reject(new Error(`npm start exited:\n${start.output()}`));
    });
  });
  await ready;
  return {
    output: start.output,
    stop: () => {
      start.child.kill("SIGINT");
      return start.exited;
    },
  };
}

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
