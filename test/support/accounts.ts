/**
 * A user's account as the tests drive it: users of one test alone (so no test ends another's
 * sessions or locks another's name), the session list a signed-in browser reads, and the
 * password change it sends.
 */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import demoUsers from "../../local/demo-users.json" with { type: "json" };
import type { SessionStore } from "../../shared/core/ports.ts";
import type { Client, Reply } from "./client.ts";

/**
 * Adds a user named `<prefix>-<random>` with the demo hash (password1), created a second ago (so a
 * session started now is after its sessionsValidAfter); resolves to the name.
 */
export async function newUser(store: Pick<SessionStore, "addUser">, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(6).toString("hex")}`;
  await store.addUser(name, demoUsers.user1, Date.now() - 1000);
  return name;
}

/** A session as GET /sessions lists it. */
export interface Listed {
  id: string;
  current: boolean;
  device: string;
  ip: string;
  signedInAt: string;
  lastActiveAt: string;
}

/** What GET /sessions lists for this browser's user (expecting 200). */
export async function sessionsOf(browser: Client): Promise<Listed[]> {
  const reply = await browser.request("GET", "/sessions");
  expect(reply.status).toBe(200);
  return (reply.json() as { sessions: Listed[] }).sessions;
}

/** POST /password from this browser. */
export function changePassword(browser: Client, currentPassword: string, newPassword: string): Promise<Reply> {
  return browser.request("POST", "/password", {
    body: JSON.stringify({ currentPassword, newPassword }),
    headers: { "content-type": "application/json" },
  });
}
