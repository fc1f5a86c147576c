import { describe, expect, it } from "vitest";
import { loadConfig } from "../shared/config.ts";
import { ConfigError } from "../shared/errors.ts";

describe("loadConfig", () => {
  it("has the tutorial's defaults: 300 s tokens, a 30 s refresh window, and stage-scoped names", () => {
    expect(loadConfig({})).toEqual({
      stage: "dev",
      tokenTtlSeconds: 300,
      refreshWindowSeconds: 30,
      sessionMaxSeconds: 86_400,
      secretCacheSeconds: 300,
      secretStaleSeconds: 900,
      secretTimeoutMs: 3000,
      secretRetryMs: 1000,
      signingKeySecretId: "serverless-jwt-auth/dev/signing-key",
      usersSecretId: "serverless-jwt-auth/dev/users",
      issuer: "serverless-jwt-auth",
      audience: "serverless-jwt-auth/dev",
    });
  });

  it("takes every setting from the environment", () => {
    const config = loadConfig({
      STAGE: "prod",
      TOKEN_TTL_SECONDS: "600",
      REFRESH_WINDOW_SECONDS: "60",
      SESSION_MAX_SECONDS: "3600",
      SECRET_CACHE_SECONDS: "0",
      SECRET_STALE_SECONDS: "10",
      SECRET_TIMEOUT_MS: "1500",
      SECRET_RETRY_MS: "0",
      SIGNING_KEY_SECRET_ID: "my/key",
      USERS_SECRET_ID: "my/users",
      TOKEN_ISSUER: "me",
      TOKEN_AUDIENCE: "you",
    });
    expect(config).toMatchObject({
      stage: "prod",
      tokenTtlSeconds: 600,
      refreshWindowSeconds: 60,
      sessionMaxSeconds: 3600,
      secretCacheSeconds: 0,
      secretStaleSeconds: 10,
      secretTimeoutMs: 1500,
      secretRetryMs: 0,
      signingKeySecretId: "my/key",
      usersSecretId: "my/users",
      issuer: "me",
      audience: "you",
    });
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it.each([
    ["TOKEN_TTL_SECONDS", "abc"],
    ["TOKEN_TTL_SECONDS", "-5"],
    ["TOKEN_TTL_SECONDS", "1.5"],
    ["TOKEN_TTL_SECONDS", "5"],
    ["REFRESH_WINDOW_SECONDS", "0"],
    ["SECRET_CACHE_SECONDS", "1e3"],
    ["SECRET_TIMEOUT_MS", "50"],
    ["SECRET_RETRY_MS", "60001"],
    ["STAGE", "dev/../prod"],
    ["TOKEN_ISSUER", "line\nbreak"],
  ])("fails loudly with the variable's name for %s=%j", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("refuses a refresh window as long as the token", () => {
    expect(() => loadConfig({ TOKEN_TTL_SECONDS: "30", REFRESH_WINDOW_SECONDS: "30" })).toThrow(
      /REFRESH_WINDOW_SECONDS/,
    );
  });

  it("refuses a session shorter than one token", () => {
    expect(() => loadConfig({ TOKEN_TTL_SECONDS: "600", SESSION_MAX_SECONDS: "300" })).toThrow(/SESSION_MAX_SECONDS/);
  });
});
