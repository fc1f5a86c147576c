/**
 * `npm run users -- add <name>`: adds or replaces a user in the users secret. The password comes
 * from a prompt (not echoed) or from stdin when piped. Talks to the local endpoint of `npm start`
 * by default; with `--aws` to AWS itself (credentials and region as the SDK finds them).
 * Options: --stage <stage> (default dev), --secret-id <id>, --aws.
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadConfig } from "../shared/config.ts";
import { MAX_PASSWORD_LENGTH, USERNAME_PATTERN } from "../shared/credentials.ts";
import { hashPassword } from "../shared/passwords.ts";
import { useLocalEndpointUnless } from "./sdk-env.ts";

const usage = "usage: npm run users -- add <username> [--stage dev] [--secret-id ID] [--aws]";

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

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stage: { type: "string" }, "secret-id": { type: "string" }, aws: { type: "boolean" } },
  });
  const [command, username] = positionals;
  if (command !== "add" || username === undefined || positionals.length !== 2) throw new Error(usage);
  if (!USERNAME_PATTERN.test(username)) {
    throw new Error("a username is 1-64 letters, digits or ._@- and starts with a letter or digit");
  }
  const config = loadConfig({ ...process.env, ...(values.stage ? { STAGE: values.stage } : {}) });
  const secretId = values["secret-id"] ?? config.usersSecretId;
  useLocalEndpointUnless(values.aws);

  const password = await readPassword();
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new Error(`a password is 1 to ${MAX_PASSWORD_LENGTH} characters`);
  }
  const client = new SecretsManagerClient({});
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const users = JSON.parse(current.SecretString ?? "{}") as Record<string, string>;
  const replaced = Object.hasOwn(users, username);
  users[username] = await hashPassword(password);
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(users) }));
  console.log(`${replaced ? "replaced" : "added"} user ${username} in ${secretId}`);
  console.log("running functions see the change once their cache expires (SECRET_CACHE_SECONDS)");
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`users: ${message}`);
  process.exit(1);
});
