import { describe, expect, it } from "vitest";
import demoUsers from "../local/demo-users.json" with { type: "json" };
import { passwords, SCRYPT_COST_RANGE, SCRYPT_PARAMS, ScryptPasswords } from "../shared/core/passwords.ts";

const SALT_AND_DIGEST = "AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

describe("password hashes", () => {
  it("hashes with scrypt N=2^15, r=8, p=1 and a random salt", async () => {
    const [a, b] = [await passwords.hash("correct horse"), await passwords.hash("correct horse")];
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await passwords.hash("correct horse");
    await expect(passwords.verify("correct horse", hash)).resolves.toBe(true);
    await expect(passwords.verify("correct horsf", hash)).resolves.toBe(false);
  });

  it("treats canonically equivalent Unicode passwords as the same", async () => {
    const hash = await passwords.hash("caf\u00e9");
    await expect(passwords.verify("cafe\u0301", hash)).resolves.toBe(true);
  });

  it.each([
    ["plain text", "password1"],
    ["a cost too high to compute", `scrypt$4194304$8$1$${SALT_AND_DIGEST}`],
    ["4 GiB per attempt (N=2^20, r=32, p=16)", `scrypt$1048576$32$16$${SALT_AND_DIGEST}`],
    ["N above 2^17", `scrypt$262144$8$1$${SALT_AND_DIGEST}`],
    ["N below 2^15", `scrypt$16384$8$1$${SALT_AND_DIGEST}`],
    ["r other than 8", `scrypt$32768$16$1$${SALT_AND_DIGEST}`],
    ["p other than 1", `scrypt$32768$8$4$${SALT_AND_DIGEST}`],
    ["a cost that is not a power of two", `scrypt$30000$8$1$${SALT_AND_DIGEST}`],
    ["a bcrypt hash", "$2b$10$abcdefghijklmnopqrstuv"],
  ])("does not accept %s as a hash", async (_name, hash) => {
    expect(passwords.isHash(hash)).toBe(false);
    await expect(passwords.verify("password1", hash)).resolves.toBe(false);
  });

  it.each([32_768, 65_536, 131_072])("accepts N=%i with r=8, p=1", (N) => {
    expect(passwords.isHash(`scrypt$${N}$8$1$${SALT_AND_DIGEST}`)).toBe(true);
  });

  it("writes only hashes within the accepted range", async () => {
    const { N, r, p } = SCRYPT_PARAMS;
    expect(N).toBeGreaterThanOrEqual(SCRYPT_COST_RANGE.minN);
    expect(N).toBeLessThanOrEqual(SCRYPT_COST_RANGE.maxN);
    expect([r, p]).toEqual([SCRYPT_COST_RANGE.r, SCRYPT_COST_RANGE.p]);
    expect(passwords.isHash(await passwords.hash("correct horse"))).toBe(true);
  });

  it("refuses to hash at a cost outside its own accepted range", () => {
    expect(() => new ScryptPasswords({ N: 16_384, r: 8, p: 1 })).toThrow(RangeError);
    expect(() => new ScryptPasswords({ N: 1024, r: 8, p: 1 }, { ...SCRYPT_COST_RANGE, minN: 2048 })).toThrow(
      RangeError,
    );
  });

  it("checks an unknown name against a decoy of the configured cost", () => {
    const { N, r, p } = SCRYPT_PARAMS;
    expect(passwords.decoy.startsWith(`scrypt$${N}$${r}$${p}$`)).toBe(true);
    expect(passwords.isHash(passwords.decoy)).toBe(true);
  });

  it("ships the demo users as hashes only", () => {
    expect(Object.keys(demoUsers)).toEqual(["user1", "user2"]);
    for (const hash of Object.values(demoUsers)) expect(passwords.isHash(hash)).toBe(true);
  });
});

describe("passwordMatches", () => {
  it("accepts the demo users with the tutorial's passwords", async () => {
    await expect(passwords.matches("password1", demoUsers.user1)).resolves.toBe(true);
    await expect(passwords.matches("password2", demoUsers.user2)).resolves.toBe(true);
    await expect(passwords.matches("password2", demoUsers.user1)).resolves.toBe(false);
  });

  it("refuses every password for an unknown user or an unusable hash", async () => {
    await expect(passwords.matches("password1", undefined)).resolves.toBe(false);
    await expect(passwords.matches("password1", "password1")).resolves.toBe(false);
  });
});
