/**
 * `npm run users -- <command>`: the operators' tool for the users table.
 *   add <name>     adds a user, or replaces one (ending their sessions); password from a prompt
 *                  (not echoed) or from stdin when piped, refused unless the password policy
 *                  allows it (shared/core/password-policy.ts)
 *   passwd <name>  sets a user's password and ends all their sessions
 *   revoke <name>  ends all sessions of a user (they sign in again)
 *   remove <name>  removes a user and their passkeys; their sessions end at their next check
 *   unlock <name>  clears the failed sign-in count of a username (lifts a lockout)
 *   list           lists the users, without hashes, with their live session counts
 *   sessions <name>            lists a user's live sessions (id, device, address, times)
 *   end-session <name> <id>    ends one session of a user, by the id `sessions` shows
 *   passkeys <name>              lists a user's passkeys
 *   remove-passkey <name> <id>   removes one of them
 *   import         adds the users of a JSON {"<name>": "<scrypt hash>"} on stdin (the old users
 *                  secret) that are not in the table yet
 * Talks to the endpoints of a running `npm start` by default; with `--aws` to AWS itself
 * (credentials and region as the SDK finds them). Options: --stage <stage> (default dev), --aws.
 * The commands themselves: users.ts.
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { loadConfig } from "../shared/core/config.ts";
import { useLocalEndpointUnless } from "./sdk-env.ts";
import { UserAdmin } from "./user-admin.ts";
import { runUsersCommand, type UsersIo } from "./users.ts";

/** What is piped in, or for a password typed at a prompt twice, not echoed. */
async function read(what: "password" | "users JSON"): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  if (what !== "password") throw new Error("import reads the users' JSON from a pipe on stdin");
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) =>
        write(s.startsWith(question) ? question : "");
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write("\n");
        resolve(answer);
      });
    });
  const password = await ask("Password: ");
  if ((await ask("Again: ")) !== password) throw new Error("the passwords differ");
  return password;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stage: { type: "string" }, aws: { type: "boolean" } },
  });
  const config = loadConfig({ ...process.env, ...(values.stage ? { STAGE: values.stage } : {}) });
  useLocalEndpointUnless(values.aws);
  const client = new DynamoDBClient({});
  const io: UsersIo = { read, print: (line) => console.log(line) };
  try {
    await runUsersCommand(positionals, new UserAdmin(client, { ...config, dynamodbTimeoutMs: 10_000 }), config, io);
  } finally {
    client.destroy();
  }
}

main().catch((err: unknown) => {
  const message =
    err instanceof Error
      ? err.cause instanceof Error
        ? `${err.message} (${err.cause.name}: ${err.cause.message})`
        : err.message
      : String(err);
  console.error(`users: ${message}`);
  process.exit(1);
});
