/** Runs one of the project's TypeScript commands (local/*.ts) as `npm run` does, under tsx. */
import { spawn } from "node:child_process";

/**
 * Starts `node --import tsx <args>` with a bare environment plus `env` (under `options.umask`, as
 * a shell with that umask would); writes `input` to its stdin and closes it when given. output() is
 * stdout and stderr so far; exited is the exit code.
 */
export function runCommand(
  args: string[],
  env: Record<string, string>,
  input?: string,
  options: { umask?: string } = {},
) {
  const command = [process.execPath, "--import", "tsx", ...args];
  const [file, argv] =
    options.umask === undefined
      ? [process.execPath, command.slice(1)]
      : ["/bin/sh", ["-c", `umask ${options.umask}; exec "$@"`, "sh", ...command]];
  const child = spawn(file, argv, {
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
