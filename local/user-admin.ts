/**
 * What only the operators' CLI (users-cli.ts) does to the tables: remove a user (and their
 * passkeys) and list every user, a Scan. Kept out of shared/ so that no function's bundle carries it.
 */
import { DeleteItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PasskeyTables } from "../shared/aws/passkey-tables.ts";
import { type Item, num, s, str } from "../shared/aws/session-tables.ts";

/** A user as the operators' CLI lists it. */
export interface UserSummary {
  readonly username: string;
  readonly sessionsValidAfter: number;
}

/** The session and passkey stores plus the CLI's own operations on the users table. */
export class UserAdmin extends PasskeyTables {
  /**
   * Removes a user (CLI) and then their passkeys: their sessions end at their next check, and a
   * passkey left by a failure halfway signs no one in (its user is gone). False if no such user.
   */
  async removeUser(username: string): Promise<boolean> {
    const removed = await this.conditional(
      new DeleteItemCommand({
        TableName: this.tables.usersTable,
        Key: { username: s(username) },
        ConditionExpression: "attribute_exists(username)",
      }),
    );
    for (const passkey of await this.listPasskeys(username)) await this.deletePasskey(passkey.id, username);
    return removed;
  }

  /** Every user, without hashes (CLI only: a Scan, never on a request path). */
  async listUsers(): Promise<UserSummary[]> {
    const users: UserSummary[] = [];
    let start: Item | undefined;
    do {
      const page: { Items?: Item[]; LastEvaluatedKey?: Item } = await this.send(
        new ScanCommand({
          TableName: this.tables.usersTable,
          ProjectionExpression: "username, sessionsValidAfter",
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const username = str(item, "username");
        if (username !== undefined) users.push({ username, sessionsValidAfter: num(item, "sessionsValidAfter") ?? 0 });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return users.sort((a, b) => a.username.localeCompare(b.username));
  }
}
