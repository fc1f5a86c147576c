/**
 * `npm run users -- <args>` against a local DynamoDB endpoint, its commands run in this process
 * (the command line itself is spawned in local.test.ts): `input` is what is piped in, the code is
 * the exit code the command line would give.
 */
import { localDynamoClient } from "../../local/sdk-env.ts";
import { UserAdmin } from "../../local/user-admin.ts";
import { runUsersCommand } from "../../local/users.ts";
import type { Config } from "../../shared/core/config.ts";

export async function usersCommand(dynamodbUrl: string, config: Config, args: string[], input = "") {
  const printed: string[] = [];
  const client = localDynamoClient(dynamodbUrl);
  const io = { read: async () => input.replace(/\r?\n$/, ""), print: (line: string) => printed.push(line) };
  try {
    await runUsersCommand(args, new UserAdmin(client, config), config, io);
    return { code: 0, output: printed.join("\n") };
  } catch (err) {
    return { code: 1, output: [...printed, `users: ${(err as Error).message}`].join("\n") };
  } finally {
    client.destroy();
  }
}
