/**
 * `npm start`'s local state (the secrets file, the DynamoDB folder) is private, even under a lax
 * umask and over a folder an earlier run left open. Its own file, so that its `npm start` runs
 * beside local.test.ts's rather than after it.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../local/free-port.ts";

const dir = mkdtempSync(join(tmpdir(), "sjwt-local-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe("npm start's local state", () => {
  it("is private (folders 0700, files 0600) under a umask of 022 with LAMBDA_PORT set, even if a run left it open", async () => {
    const [port, secretsPort, dynamodbPort, lambdaPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const state = join(dir, "lax");
    const dynamodbDir = join(state, "dynamodb");
    mkdirSync(dynamodbDir, { recursive: true, mode: 0o755 });
    chmodSync(dynamodbDir, 0o755);
    writeFileSync(join(dynamodbDir, "LOG.old"), "left by an earlier run", { mode: 0o644 });
    chmodSync(join(dynamodbDir, "LOG.old"), 0o644);
    const dataFile = join(state, "keys", "secrets.json");
    const child = spawn("/bin/sh", ["-c", 'umask 022; exec "$0" --import tsx local/start.ts', process.execPath], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        LAMBDA_PORT: String(lambdaPort),
        LOCAL_SECRETS_PORT: String(secretsPort),
        LOCAL_SECRETS_FILE: dataFile,
        LOCAL_DYNAMODB_PORT: String(dynamodbPort),
        LOCAL_DYNAMODB_DIR: dynamodbDir,
        ESBUILD_WORK_FOLDER: `.esbuild-test-private-${process.pid}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !output.includes("ready:"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(output).toContain("ready:");
      const found = [...modes(join(state, "keys")), ...modes(dynamodbDir)];
      expect(found.some((line) => line.endsWith("secrets.json"))).toBe(true);
      expect(found.filter((line) => !/^0[67]00 /.test(line))).toEqual([]);
      expect(modes(dynamodbDir)[0]).toMatch(/^0700 /);
      expect(found.filter((line) => line.startsWith("0700") && statSync(line.slice(5)).isFile())).toEqual([]);
    } finally {
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      rmSync(`.esbuild-test-private-${process.pid}`, { recursive: true, force: true });
    }
  });
});
