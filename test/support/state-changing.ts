/**
 * The routes whose requests change state, which the cross-site rule guards, and a browser holding
 * a live session to send them: shared by the wiring tests of the default configuration
 * (browser-http.test.ts) and of ALLOWED_ORIGINS (security-http.test.ts).
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

/** A browser holding a live session's token that is already in its refresh window (20 s left). */
export async function signedIn(service: Service | SharedService): Promise<Client> {
  const client = new Client(service.baseUrl);
  const now = nowSeconds();
  await client.setToken(await liveToken(service.store, devKey(service.secrets), { now, claims: { exp: now + 20 } }));
  return client;
}

/** Sends `method path` with `headers` (and user1's credentials to /signin). */
export function send(client: Client, method: string, path: string, headers: Record<string, string>): Promise<Reply> {
  const body = path === "/signin" ? JSON.stringify({ username: "user1", password: "password1" }) : undefined;
  return client.request(method, path, {
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  });
}
