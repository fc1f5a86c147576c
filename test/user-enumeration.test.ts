/**
 * Unknown users cost the same hashing work as known ones. Timing is not asserted (the machine is
 * noisy); the work is: node:crypto's scrypt is wrapped to record each derivation's parameters.
 */
import * as crypto from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { passwords } from "../shared/core/passwords.ts";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  const scrypt = (...args: Parameters<typeof actual.scrypt>) => actual.scrypt(...args);
  return { ...actual, scrypt: vi.fn(scrypt) };
});

const scrypt = vi.mocked(crypto.scrypt);

/** The cost parameters of every scrypt derivation made during `attempt`. */
async function derivations(attempt: () => Promise<boolean>) {
  scrypt.mockClear();
  const accepted = await attempt();
  const calls = scrypt.mock.calls.map(([, , keylen, options]) => {
    const { N, r, p } = options as crypto.ScryptOptions;
    return { keylen, N, r, p };
  });
  return { accepted, calls };
}

describe("user enumeration", () => {
  it("derives one scrypt key of the same cost for an unknown user as for a wrong password", async () => {
    const wrongPassword = await derivations(() => passwords.matches("not-the-password", demoUsers.user1));
    const unknownUser = await derivations(() => passwords.matches("not-the-password", undefined));
    const rightPassword = await derivations(() => passwords.matches("password1", demoUsers.user1));

    expect(wrongPassword).toEqual({ accepted: false, calls: [{ keylen: 32, N: 32_768, r: 8, p: 1 }] });
    expect(unknownUser).toEqual(wrongPassword);
    expect(rightPassword.calls).toEqual(wrongPassword.calls);
    expect(rightPassword.accepted).toBe(true);
  });
});
