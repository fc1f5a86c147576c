import { describe, expect, it } from "vitest";
import { clearedSessionCookie, readSessionToken, sessionCookie } from "../shared/http/cookies.ts";

describe("session cookies", () => {
  it("sets the token HttpOnly, Secure, SameSite=Strict on Path=/", () => {
    expect(sessionCookie("a.b.c", 300)).toBe("token=a.b.c; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Strict");
  });

  it("clears it with the same attributes and Max-Age=0, so the browser drops the same cookie", () => {
    const set = sessionCookie("a.b.c", 300).split("; ").slice(2);
    const cleared = clearedSessionCookie().split("; ");
    expect(cleared.slice(0, 2)).toEqual(["token=", "Max-Age=0"]);
    expect(cleared.slice(2)).toEqual(set);
  });

  it("reads the token among other cookies, trimming spaces", () => {
    expect(readSessionToken(["a=1", " token = x.y.z ", "b=2"])).toBe("x.y.z");
  });

  it("keeps '=' inside the value", () => {
    expect(readSessionToken(["token=a=b"])).toBe("a=b");
  });

  it("writes, clears and reads the cookie under the configured name (__Host-token) only", () => {
    expect(sessionCookie("a.b.c", 300, "__Host-token")).toMatch(/^__Host-token=a\.b\.c; Max-Age=300; Path=\/;/);
    expect(clearedSessionCookie("__Host-token")).toMatch(/^__Host-token=; Max-Age=0; Path=\/;/);
    expect(readSessionToken(["token=planted", "__Host-token=x.y.z"], "__Host-token")).toBe("x.y.z");
    expect(() => readSessionToken(["token=x.y.z"], "__Host-token")).toThrow(
      expect.objectContaining({ code: "missing_token" }),
    );
  });

  it.each([
    ["no cookies", undefined, "missing_token"],
    ["other cookies only", ["tokens=1", "xtoken=2"], "missing_token"],
    ["an empty token", ["token="], "missing_token"],
    ["two tokens", ["token=a", "token=b"], "ambiguous_token"],
    ["a token over 4 KB", [`token=${"a".repeat(4097)}`], "invalid_token"],
  ])("refuses %s", (_name, cookies, code) => {
    expect(() => readSessionToken(cookies)).toThrow(expect.objectContaining({ status: 401, code }));
  });
});
