import { describe, expect, it } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { hashPassword, isPasswordHash, passwordMatches, verifyPassword } from "../shared/passwords.ts";

describe("password hashes", () => {
  it("hashes with scrypt N=2^15, r=8, p=1 and a random salt", async () => {
    const [a, b] = [await hashPassword("correct horse"), await hashPassword("correct horse")];
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse");
    await expect(verifyPassword("correct horse", hash)).resolves.toBe(true);
    await expect(verifyPassword("correct horsf", hash)).resolves.toBe(false);
  });

  it("treats canonically equivalent Unicode passwords as the same", async () => {
    const hash = await hashPassword("caf\u00e9");
    await expect(verifyPassword("cafe\u0301", hash)).resolves.toBe(true);
  });

  it.each([
    ["plain text", "password1"],
    [
      "a cost too high to compute",
      "scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
    [
      "a cost that is not a power of two",
      "scrypt$30000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
    ["a bcrypt hash", "$2b$10$abcdefghijklmnopqrstuv"],
  ])("does not accept %s as a hash", async (_name, hash) => {
    expect(isPasswordHash(hash)).toBe(false);
    await expect(verifyPassword("password1", hash)).resolves.toBe(false);
  });

  it("ships the demo users as hashes only", () => {
    expect(Object.keys(demoUsers)).toEqual(["user1", "user2"]);
    for (const hash of Object.values(demoUsers)) expect(isPasswordHash(hash)).toBe(true);
  });
});

describe("passwordMatches", () => {
  it("accepts the demo users with the tutorial's passwords", async () => {
    await expect(passwordMatches("password1", demoUsers.user1)).resolves.toBe(true);
    await expect(passwordMatches("password2", demoUsers.user2)).resolves.toBe(true);
    await expect(passwordMatches("password2", demoUsers.user1)).resolves.toBe(false);
  });

  it("refuses every password for an unknown user or an unusable hash", async () => {
    await expect(passwordMatches("password1", undefined)).resolves.toBe(false);
    await expect(passwordMatches("password1", "password1")).resolves.toBe(false);
  });
});
