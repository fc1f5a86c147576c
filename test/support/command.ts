/** Runs one of the project's TypeScript commands (local/*.ts) as `npm run` does, under tsx. */
import { spawn } from "node:child_process";

/**
 * Starts `node --import tsx <args>` with a bare environment plus `env`; writes `input` to its stdin
 * and closes it when given. output() is stdout and stderr so far; exited is the exit code.
 */
export function runCommand(args: string[], env: Record<string, string>, input?: string) {
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
