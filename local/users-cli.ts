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
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type Config, loadConfig } from "../shared/core/config.ts";
import { USERNAME_PATTERN } from "../shared/core/credentials.ts";
import { passwordRefusal } from "../shared/core/password-policy.ts";
import { passwords } from "../shared/core/passwords.ts";
import { endUserSession, userSessions } from "../shared/core/user-sessions.ts";
import { useLocalEndpointUnless } from "./sdk-env.ts";
import { UserAdmin } from "./user-admin.ts";

const usage =
  "usage: npm run users -- add|passwd|revoke|remove|unlock|sessions|passkeys <username> | end-session|remove-passkey <username> <id> | list | import   [--stage dev] [--aws]";

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
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

/** A new password for `username`, refused (saying why) when the password policy refuses it. */
async function newPassword(username: string, config: Config): Promise<string> {
  const password = await readPassword();
  const refusal = passwordRefusal(password, username, config);
  if (refusal !== undefined) throw new Error(refusal);
  return password;
}

/** Adds each well-formed entry whose name is free; never replaces a user already in the table. */
async function importUsers(users: UserAdmin, json: string): Promise<{ added: number; skipped: number }> {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error('import reads a JSON object {"<username>": "<scrypt hash>"} on stdin');
  }
  let [added, skipped] = [0, 0];
  for (const [name, hash] of Object.entries(parsed)) {
    const usable = USERNAME_PATTERN.test(name) && passwords.isHash(hash);
    if (usable && (await users.addUser(name, hash, Date.now()))) added += 1;
    else skipped += 1;
  }
  return { added, skipped };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stage: { type: "string" }, aws: { type: "boolean" } },
  });
  const [command, username, itemId] = positionals;
  const named = ["add", "passwd", "revoke", "remove", "unlock", "sessions", "passkeys"].includes(String(command));
  const bare = command === "list" || command === "import";
  const withId = (command === "end-session" || command === "remove-passkey") && positionals.length === 3;
  if (!(named && positionals.length === 2) && !(bare && positionals.length === 1) && !withId) {
    throw new Error(usage);
  }
  if (username !== undefined && !USERNAME_PATTERN.test(username)) {
    throw new Error("a username is 1-64 letters, digits or ._@- and starts with a letter or digit");
  }
  const config = loadConfig({ ...process.env, ...(values.stage ? { STAGE: values.stage } : {}) });
  useLocalEndpointUnless(values.aws);
  const client = new DynamoDBClient({});
  const users = new UserAdmin(client, { ...config, dynamodbTimeoutMs: 10_000 });
  const name = String(username);
  const missing = () => new Error(`no user ${name} in ${config.usersTable}`);
  try {
    if (command === "list") {
      for (const user of await users.listUsers()) {
        const live = (await userSessions(users, user.username, Date.now(), config))?.length ?? 0;
        const after = new Date(user.sessionsValidAfter).toISOString();
        console.log(`${user.username}\t${live} live session(s)\tsessions valid after ${after}`);
      }
    } else if (command === "sessions") {
      const sessions = await userSessions(users, name, Date.now(), config);
      if (sessions === undefined) throw missing();
      for (const session of sessions) {
        const [signedIn, active] = [session.signedInAt, session.lastActiveAt].map((ms) => new Date(ms).toISOString());
        const device = session.device || "unknown device";
        console.log(`${session.id}\t${device}\t${session.ip || "-"}\tsigned in ${signedIn}\tlast active ${active}`);
      }
      console.log(`${sessions.length} live session(s) of ${name}`);
    } else if (command === "end-session") {
      if (!(await endUserSession(users, name, String(itemId), Date.now(), config))) {
        throw new Error(`${name} has no live session ${itemId}`);
      }
      console.log(`ended session ${itemId} of ${name}`);
    } else if (command === "passkeys") {
      const passkeys = await users.listPasskeys(name);
      const day = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString());
      for (const passkey of passkeys.sort((a, b) => a.createdAt - b.createdAt)) {
        console.log(
          `${passkey.id}\t${passkey.name}\tcreated ${day(passkey.createdAt)}\tlast used ${day(passkey.lastUsedAt)}`,
        );
      }
      if (passkeys.length === 0) console.log(`${name} has no passkey`);
    } else if (command === "remove-passkey") {
      if (!(await users.deletePasskey(String(itemId), name))) throw new Error(`${name} has no passkey ${itemId}`);
      console.log(`removed passkey ${itemId} of ${name}; it signs no one in`);
    } else if (command === "add") {
      const hash = await passwords.hash(await newPassword(name, config));
      const added = await users.addUser(name, hash, Date.now());
      if (!added && !(await users.setPassword(name, hash, Date.now()))) throw missing();
      console.log(`${added ? "added" : "replaced"} user ${name} in ${config.usersTable}`);
    } else if (command === "passwd") {
      if (!(await users.getUser(name))) throw missing();
      if (!(await users.setPassword(name, await passwords.hash(await newPassword(name, config)), Date.now()))) {
        throw missing();
      }
      console.log(`changed the password of ${name}; their sessions are ended`);
    } else if (command === "import") {
      if (process.stdin.isTTY) throw new Error("import reads the users' JSON from a pipe on stdin");
      const { added, skipped } = await importUsers(users, await readPassword());
      console.log(`imported ${added} user(s) into ${config.usersTable}; skipped ${skipped} (present or unusable)`);
    } else if (command === "unlock") {
      await users.deleteAttempts(name);
      console.log(`cleared the failed sign-ins of ${name}`);
    } else if (command === "revoke") {
      if (!(await users.endUserSessions(name, Date.now()))) throw missing();
      console.log(`ended every session of ${name}`);
    } else {
      if (!(await users.removeUser(name))) throw missing();
      console.log(`removed user ${name} and their passkeys; their sessions are ended`);
    }
    if (["passwd", "revoke", "remove", "end-session"].includes(String(command))) {
      console.log("a signed-in browser is refused at its next refresh (REVOCATION_CHECK=every-request: at once)");
    }
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
