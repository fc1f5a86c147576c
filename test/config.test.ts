import { describe, expect, it } from "vitest";
import { httpApiCors } from "../local/gateway-proxy.ts";
import { loadConfig } from "../shared/core/config.ts";
import { ConfigError } from "../shared/core/errors.ts";

describe("loadConfig", () => {
  it("has the tutorial's defaults: 300 s tokens, a 30 s refresh window, and stage-scoped names", () => {
    expect(loadConfig({})).toEqual({
      stage: "dev",
      tokenTtlSeconds: 300,
      refreshWindowSeconds: 30,
      sessionMaxSeconds: 86_400,
      refreshGraceSeconds: 10,
      secretCacheSeconds: 300,
      secretStaleSeconds: 900,
      secretTimeoutMs: 3000,
      secretRetryMs: 1000,
      signingKeySecretId: "serverless-jwt-auth/dev/signing-key",
      usersTable: "serverless-jwt-auth-dev-users",
      sessionsTable: "serverless-jwt-auth-dev-sessions",
      signinAttemptsTable: "serverless-jwt-auth-dev-signin-attempts",
      dynamodbTimeoutMs: 1000,
      revocationCheck: "refresh",
      maxSessionsPerUser: 20,
      signinMaxFailures: 5,
      signinLockoutBaseSeconds: 30,
      signinLockoutMaxSeconds: 900,
      issuer: "serverless-jwt-auth",
      audience: "serverless-jwt-auth/dev",
      sessionCookieName: "token",
      allowedOrigins: [],
      passwordMinLength: 15,
      signup: "closed",
      passkeysTable: "serverless-jwt-auth-dev-passkeys",
      passkeyChallengesTable: "serverless-jwt-auth-dev-passkey-challenges",
      reauthMaxSeconds: 300,
      webauthnRpId: undefined,
      webauthnOrigins: [],
      webauthnRpName: "serverless-jwt-auth",
    });
  });

  it("takes every setting from the environment", () => {
    const config = loadConfig({
      STAGE: "prod",
      TOKEN_TTL_SECONDS: "600",
      REFRESH_WINDOW_SECONDS: "60",
      SESSION_MAX_SECONDS: "3600",
      REFRESH_GRACE_SECONDS: "0",
      SECRET_CACHE_SECONDS: "0",
      SECRET_STALE_SECONDS: "10",
      SECRET_TIMEOUT_MS: "1500",
      SECRET_RETRY_MS: "0",
      SIGNING_KEY_SECRET_ID: "my/key",
      USERS_TABLE: "my-users",
      SESSIONS_TABLE: "my-sessions",
      SIGNIN_ATTEMPTS_TABLE: "my-attempts",
      DYNAMODB_TIMEOUT_MS: "500",
      REVOCATION_CHECK: "every-request",
      MAX_SESSIONS_PER_USER: "2",
      SIGNIN_MAX_FAILURES: "3",
      SIGNIN_LOCKOUT_BASE_SECONDS: "10",
      SIGNIN_LOCKOUT_MAX_SECONDS: "60",
      TOKEN_ISSUER: "me",
      TOKEN_AUDIENCE: "you",
      SESSION_COOKIE_NAME: "__Host-token",
      ALLOWED_ORIGINS: " https://app.example.com, http://localhost:5173 ,https://App.Example.com",
      PASSWORD_MIN_LENGTH: "8",
      SIGNUP: "open",
      PASSKEYS_TABLE: "my-passkeys",
      PASSKEY_CHALLENGES_TABLE: "my-challenges",
      REAUTH_MAX_SECONDS: "60",
      WEBAUTHN_RP_ID: "Example.com",
      WEBAUTHN_ORIGINS: "https://example.com,https://app.example.com",
      WEBAUTHN_RP_NAME: "Example",
    });
    expect(config).toMatchObject({
      stage: "prod",
      tokenTtlSeconds: 600,
      refreshWindowSeconds: 60,
      sessionMaxSeconds: 3600,
      refreshGraceSeconds: 0,
      secretCacheSeconds: 0,
      secretStaleSeconds: 10,
      secretTimeoutMs: 1500,
      secretRetryMs: 0,
      signingKeySecretId: "my/key",
      usersTable: "my-users",
      sessionsTable: "my-sessions",
      signinAttemptsTable: "my-attempts",
      dynamodbTimeoutMs: 500,
      revocationCheck: "every-request",
      maxSessionsPerUser: 2,
      signinMaxFailures: 3,
      signinLockoutBaseSeconds: 10,
      signinLockoutMaxSeconds: 60,
      issuer: "me",
      audience: "you",
      sessionCookieName: "__Host-token",
      allowedOrigins: ["https://app.example.com", "http://localhost:5173"],
      passwordMinLength: 8,
      signup: "open",
      passkeysTable: "my-passkeys",
      passkeyChallengesTable: "my-challenges",
      reauthMaxSeconds: 60,
      webauthnRpId: "example.com",
      webauthnOrigins: ["https://example.com", "https://app.example.com"],
      webauthnRpName: "Example",
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
    ["USERS_TABLE", "no"],
    ["SESSIONS_TABLE", "a table"],
    ["REVOCATION_CHECK", "sometimes"],
    ["REFRESH_GRACE_SECONDS", "301"],
    ["REFRESH_GRACE_SECONDS", "-1"],
    ["SIGNIN_MAX_FAILURES", "0"],
    ["MAX_SESSIONS_PER_USER", "0"],
    ["MAX_SESSIONS_PER_USER", "101"],
    ["DYNAMODB_TIMEOUT_MS", "20"],
    ["SESSION_COOKIE_NAME", "to ken"],
    ["SESSION_COOKIE_NAME", "token;Domain=evil.example"],
    ["ALLOWED_ORIGINS", "*"],
    ["ALLOWED_ORIGINS", "https://app.example.com/path"],
    ["ALLOWED_ORIGINS", "app.example.com"],
    ["ALLOWED_ORIGINS", "https://app.example.com,,https://b.example.com"],
    ["ALLOWED_ORIGINS", "null"],
    ["PASSWORD_MIN_LENGTH", "7"],
    ["PASSWORD_MIN_LENGTH", "65"],
    ["SIGNUP", "yes"],
    ["REAUTH_MAX_SECONDS", "5"],
    ["WEBAUTHN_RP_ID", "https://example.com"],
    ["WEBAUTHN_RP_ID", "example.com:443"],
    ["WEBAUTHN_ORIGINS", "example.com"],
    ["PASSKEYS_TABLE", "a b"],
  ])("fails loudly with the variable's name for %s=%j", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("refuses a WebAuthn origin outside WEBAUTHN_RP_ID's domain", () => {
    expect(() => loadConfig({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://evil-example.com" })).toThrow(
      /WEBAUTHN_ORIGINS/,
    );
  });

  it("refuses a refresh window as long as the token", () => {
    expect(() => loadConfig({ TOKEN_TTL_SECONDS: "30", REFRESH_WINDOW_SECONDS: "30" })).toThrow(
      /REFRESH_WINDOW_SECONDS/,
    );
  });

  it("refuses a lockout ceiling below its first delay", () => {
    expect(() => loadConfig({ SIGNIN_LOCKOUT_BASE_SECONDS: "60", SIGNIN_LOCKOUT_MAX_SECONDS: "30" })).toThrow(
      /SIGNIN_LOCKOUT_MAX_SECONDS/,
    );
  });

  it("refuses a session shorter than one token", () => {
    expect(() => loadConfig({ TOKEN_TTL_SECONDS: "600", SESSION_MAX_SECONDS: "300" })).toThrow(/SESSION_MAX_SECONDS/);
  });
});

describe("ALLOWED_ORIGINS in serverless.yml's CORS (serverless-cors.cjs) and in loadConfig", () => {
  it.each([
    "",
    "https://app.example.com",
    " https://App.Example.com , http://localhost:5173",
    "*",
    "https://*.example.com",
    "https://app.example.com/",
    "app.example.com",
    "https://a.example.com,,https://b.example.com",
    "null",
  ])("accepts or refuses %j alike, with the same origins", (value) => {
    let fromConfig: readonly string[] | "refused";
    let fromTemplate: readonly string[] | "refused";
    try {
      fromConfig = loadConfig({ ALLOWED_ORIGINS: value }).allowedOrigins;
    } catch {
      fromConfig = "refused";
    }
    try {
      const cors = httpApiCors({ ALLOWED_ORIGINS: value });
      fromTemplate = cors === false ? [] : cors.allowedOrigins;
    } catch {
      fromTemplate = "refused";
    }
    expect(fromTemplate).toEqual(fromConfig);
  });
});
