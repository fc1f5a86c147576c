/**
 * The routes whose requests change state, which the cross-site rule guards, and a browser holding
 * a live session to send them: shared by the wiring tests of the default configuration
 * (browser-http.test.ts) and of ALLOWED_ORIGINS (security-http.test.ts). Each file signs in a user
 * of its own (accounts.ts): sign-ins of one user past MAX_SESSIONS_PER_USER end its oldest sessions,
 * which another file's test may be using.
 */
import { Client, type Reply } from "./client.ts";
import type { Service } from "./service.ts";
import type { SharedService } from "./shared-service.ts";
import { devKey, liveToken, nowSeconds } from "./tokens.ts";

export const STATE_CHANGING = [
  ["POST", "/signin"],
  ["POST", "/refresh"],
  ["POST", "/logout"],
  ["GET", "/logout"],
  ["POST", "/logout-everywhere"],
] as const;

/** A browser holding a live session of `user` whose token is already in its refresh window (20 s left). */
export async function signedIn(service: Service | SharedService, user: string): Promise<Client> {
  const client = new Client(service.baseUrl);
  const now = nowSeconds();
  const claims = { sub: user, exp: now + 20 };
  await client.setToken(await liveToken(service.store, devKey(service.secrets), { now, claims }));
  return client;
}

/** Sends `method path` with `headers` (and to /signin, `user`'s credentials: the demo password1). */
export function send(
  client: Client,
  method: string,
  path: string,
  headers: Record<string, string>,
  user: string,
): Promise<Reply> {
  const body = path === "/signin" ? JSON.stringify({ username: user, password: "password1" }) : undefined;
  return client.request(method, path, {
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  });
}
