/**
 * The operators' commands on the users table, as `npm run users` (users-cli.ts) runs them: each
 * takes the words typed after `npm run users --`, the tables, and where it reads a password (or
 * the users' JSON) and prints its lines.
 */
import type { Config } from "../shared/core/config.ts";
import { USERNAME_PATTERN } from "../shared/core/credentials.ts";
import { passwordRefusal } from "../shared/core/password-policy.ts";
import { passwords } from "../shared/core/passwords.ts";
import { endUserSession, userSessions } from "../shared/core/user-sessions.ts";
import type { UserAdmin } from "./user-admin.ts";

export const USAGE =
  "usage: npm run users -- add|passwd|revoke|remove|unlock|sessions|passkeys <username> | end-session|remove-passkey <username> <id> | list | import   [--stage dev] [--aws]";

/** Where a command reads what it is given and prints what it did. */
export interface UsersIo {
  /** A new password, or for import the users' JSON: from a pipe, or typed at a prompt. */
  read(what: "password" | "users JSON"): Promise<string>;
  print(line: string): void;
}

/** A new password for `username`, refused (saying why) when the password policy refuses it. */
async function newPassword(io: UsersIo, username: string, config: Config): Promise<string> {
  const password = await io.read("password");
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

/**
 * Runs one command: `words` as typed (`add alice`, `list`, ...). Throws an Error whose message is
 * what to tell the operator (USAGE for words that name no command).
 */
export async function runUsersCommand(
  words: readonly string[],
  users: UserAdmin,
  config: Config,
  io: UsersIo,
): Promise<void> {
  const [command, username, itemId] = words;
  const named = ["add", "passwd", "revoke", "remove", "unlock", "sessions", "passkeys"].includes(String(command));
  const bare = command === "list" || command === "import";
  const withId = (command === "end-session" || command === "remove-passkey") && words.length === 3;
  if (!(named && words.length === 2) && !(bare && words.length === 1) && !withId) throw new Error(USAGE);
  if (username !== undefined && !USERNAME_PATTERN.test(username)) {
    throw new Error("a username is 1-64 letters, digits or ._@- and starts with a letter or digit");
  }
  const name = String(username);
  const missing = () => new Error(`no user ${name} in ${config.usersTable}`);
  if (command === "list") {
    for (const user of await users.listUsers()) {
      const live = (await userSessions(users, user.username, Date.now(), config))?.length ?? 0;
      const after = new Date(user.sessionsValidAfter).toISOString();
      io.print(`${user.username}\t${live} live session(s)\tsessions valid after ${after}`);
    }
  } else if (command === "sessions") {
    const sessions = await userSessions(users, name, Date.now(), config);
    if (sessions === undefined) throw missing();
    for (const session of sessions) {
      const [signedIn, active] = [session.signedInAt, session.lastActiveAt].map((ms) => new Date(ms).toISOString());
      const device = session.device || "unknown device";
      io.print(`${session.id}\t${device}\t${session.ip || "-"}\tsigned in ${signedIn}\tlast active ${active}`);
    }
    io.print(`${sessions.length} live session(s) of ${name}`);
  } else if (command === "end-session") {
    if (!(await endUserSession(users, name, String(itemId), Date.now(), config))) {
      throw new Error(`${name} has no live session ${itemId}`);
    }
    io.print(`ended session ${itemId} of ${name}`);
  } else if (command === "passkeys") {
    const passkeys = await users.listPasskeys(name);
    const day = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString());
    for (const passkey of passkeys.sort((a, b) => a.createdAt - b.createdAt)) {
      io.print(
        `${passkey.id}\t${passkey.name}\tcreated ${day(passkey.createdAt)}\tlast used ${day(passkey.lastUsedAt)}`,
      );
    }
    if (passkeys.length === 0) io.print(`${name} has no passkey`);
  } else if (command === "remove-passkey") {
    if (!(await users.deletePasskey(String(itemId), name))) throw new Error(`${name} has no passkey ${itemId}`);
    io.print(`removed passkey ${itemId} of ${name}; it signs no one in`);
  } else if (command === "add") {
    const hash = await passwords.hash(await newPassword(io, name, config));
    const added = await users.addUser(name, hash, Date.now());
    if (!added && !(await users.setPassword(name, hash, Date.now()))) throw missing();
    io.print(`${added ? "added" : "replaced"} user ${name} in ${config.usersTable}`);
  } else if (command === "passwd") {
    if (!(await users.getUser(name))) throw missing();
    if (!(await users.setPassword(name, await passwords.hash(await newPassword(io, name, config)), Date.now()))) {
      throw missing();
    }
    io.print(`changed the password of ${name}; their sessions are ended`);
  } else if (command === "import") {
    const { added, skipped } = await importUsers(users, await io.read("users JSON"));
    io.print(`imported ${added} user(s) into ${config.usersTable}; skipped ${skipped} (present or unusable)`);
  } else if (command === "unlock") {
    await users.deleteAttempts(name);
    io.print(`cleared the failed sign-ins of ${name}`);
  } else if (command === "revoke") {
    if (!(await users.endUserSessions(name, Date.now()))) throw missing();
    io.print(`ended every session of ${name}`);
  } else {
    if (!(await users.removeUser(name))) throw missing();
    io.print(`removed user ${name} and their passkeys; their sessions are ended`);
  }
  if (["passwd", "revoke", "remove", "end-session"].includes(String(command))) {
    io.print("a signed-in browser is refused at its next refresh (REVOCATION_CHECK=every-request: at once)");
  }
}
