/**
 * The token module with an injected clock and real crypto: what it issues, and every forgery it
 * must refuse (read it as an attack checklist).
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { decodeJwt, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../shared/core/config.ts";
import { importSigningKey, type SigningKey } from "../shared/core/signing-key.ts";
import {
  assertRefreshAllowed,
  issueSessionToken,
  type Session,
  signSessionToken,
  verifySessionToken,
} from "../shared/core/token.ts";

const policy = loadConfig({});
const NOW = 1_800_000_000;
const KID = "3f1c9a52-0c6e-4b8e-9a51-1d2a0c7e5b11";
const SID = "c2Vzc2lvbi1pZC1vZi10ZXN0";
const bytes = randomBytes(32);
const started = (user: string, authTime = NOW) => ({ user, sid: SID, authTime });
let signingKey: SigningKey;

beforeAll(async () => {
  signingKey = { kid: KID, key: await importSigningKey(bytes) };
});

const keys = {
  current: async () => signingKey,
  forKid: async (kid: string) => (kid === KID ? signingKey : undefined),
};
// The module counts epoch milliseconds; the claims, and NOW here, whole seconds.
const verify = (token: string, now = NOW) => verifySessionToken(token, keys, now * 1000, policy);
const issue = (identity: { user: string; sid: string; authTime: number }, now = NOW) =>
  issueSessionToken(signingKey, { ...identity, authTime: identity.authTime * 1000 }, now * 1000, policy, randomUUID());

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const hmac = (alg: "sha256" | "sha384" | "sha512", input: string, key: Uint8Array = bytes) =>
  createHmac(alg, key).update(input).digest("base64url");

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: "user1",
    iss: policy.issuer,
    aud: policy.audience,
    iat: NOW,
    exp: NOW + 300,
    jti: "a1b2c3",
    auth_time: NOW,
    sid: SID,
    ...overrides,
  };
}

/** A compact JWS built by hand, so any header or payload can be signed with the right key. */
function handMade(header: Record<string, unknown>, payload: unknown, alg: "sha256" | "sha384" | "sha512" = "sha256") {
  const input = `${b64({ alg: "HS256", typ: "session+jwt", kid: KID, ...header })}.${b64(payload)}`;
  return `${input}.${hmac(alg, input)}`;
}

async function expectRefused(token: string, code = "invalid_token", now = NOW) {
  await expect(verify(token, now)).rejects.toMatchObject({ status: 401, code });
}

describe("issueSessionToken", () => {
  it("signs HS256 with typ, kid, sub, iss, aud, iat, exp = iat + 300, jti, auth_time and sid", async () => {
    const issued = await issue(started("user1"));
    const [header, payload] = issued.token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));

    expect(header).toEqual({ alg: "HS256", typ: "session+jwt", kid: KID });
    expect(payload).toEqual({
      sub: "user1",
      iss: "serverless-jwt-auth",
      aud: "serverless-jwt-auth/dev",
      iat: NOW,
      exp: NOW + 300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      auth_time: NOW,
      sid: SID,
    });
    expect(issued).toMatchObject({ user: "user1", issuedAt: NOW * 1000, expiresAt: (NOW + 300) * 1000 });
  });

  it("gives tokens of one session and second their own jti, chosen by the caller", async () => {
    const a = await issue(started("user1"));
    const b = await issue(started("user1"));
    expect(a.token).not.toBe(b.token);
    expect(decodeJwt(a.token).jti).toBe(a.jti);
  });

  it("signs the same token again, byte for byte, from the claims it reports", async () => {
    const first = await issue(started("user1"));
    const identity = { ...started("user1"), authTime: NOW * 1000 };

    const again = await signSessionToken(signingKey, identity, first, policy);

    expect(again).toEqual(first);
  });

  it("never lets a token outlive the session that auth_time started", async () => {
    const authTime = NOW - policy.sessionMaxSeconds + 100;
    const issued = await issue(started("user1", authTime));
    expect(issued.expiresAt).toBe((authTime + policy.sessionMaxSeconds) * 1000);
    expect(issued.expiresAt - issued.issuedAt).toBe(100_000);
  });
});

describe("verifySessionToken", () => {
  it("accepts its own token and returns the session", async () => {
    const { token, jti } = await issue(started("user2"));
    await expect(verify(token, NOW + 299)).resolves.toEqual({
      user: "user2",
      sid: SID,
      jti,
      issuedAt: NOW * 1000,
      expiresAt: (NOW + 300) * 1000,
      authTime: NOW * 1000,
    });
  });

  it("reports an expiry no later than iat + TOKEN_TTL_SECONDS, whatever exp a forger set", async () => {
    const forged = handMade({}, claims({ exp: NOW + 10 * 365 * 86_400 }));
    await expect(verify(forged)).resolves.toMatchObject({ expiresAt: (NOW + policy.tokenTtlSeconds) * 1000 });
  });

  it("accepts a hand-made token with the right key, so each refusal below is for its one change", async () => {
    await expect(verify(handMade({}, claims()))).resolves.toMatchObject({ user: "user1" });
  });

  it("refuses a token at its exp with token_expired", async () => {
    const { token } = await issue(started("user1"));
    await expectRefused(token, "token_expired", NOW + 300);
  });

  it.each(["none", "None", "NONE", "nOnE"])('refuses alg "%s" with or without a signature', async (alg) => {
    const input = `${b64({ alg, typ: "session+jwt", kid: KID })}.${b64(claims())}`;
    await expectRefused(`${input}.`);
    await expectRefused(`${input}.${hmac("sha256", input)}`);
  });

  it("refuses a stripped signature and a missing signature part", async () => {
    const { token } = await issue(started("user1"));
    const [header, payload] = token.split(".");
    await expectRefused(`${header}.${payload}.`);
    await expectRefused(`${header}.${payload}`);
  });

  it.each([
    ["HS384", "sha384"],
    ["HS512", "sha512"],
  ] as const)("refuses %s even when signed with the right key", async (alg, hash) => {
    await expectRefused(handMade({ alg }, claims(), hash));
  });

  it("refuses RS256 and ES256 headers (algorithm confusion)", async () => {
    await expectRefused(handMade({ alg: "RS256" }, claims()));
    await expectRefused(handMade({ alg: "ES256" }, claims()));
  });

  it("refuses an unknown critical header", async () => {
    await expectRefused(handMade({ crit: ["exp-policy"], "exp-policy": 1 }, claims()));
  });

  it.each([
    ["jku", { jku: "https://attacker.example/jwks.json" }],
    ["x5u", { x5u: "https://attacker.example/cert.pem" }],
    ["jwk", { jwk: { kty: "oct", k: b64("attacker key") } }],
    ["x5c", { x5c: ["MIIB"] }],
  ])("refuses a token carrying a %s header, even correctly signed", async (_name, header) => {
    await expectRefused(handMade(header, claims()));
  });

  it.each([
    ["path traversal", "../../../etc/passwd"],
    ["a URL", "https://attacker.example/key"],
    ["a huge kid", "k".repeat(5000)],
    ["an unknown version", "00000000-0000-0000-0000-000000000000"],
    ["an empty kid", ""],
  ])("refuses a kid that is %s", async (_name, kid) => {
    await expectRefused(handMade({ kid }, claims()));
  });

  it("refuses a token without a kid", async () => {
    const input = `${b64({ alg: "HS256", typ: "session+jwt" })}.${b64(claims())}`;
    await expectRefused(`${input}.${hmac("sha256", input)}`);
  });

  it.each([
    ["an array", []],
    ["a number", 42],
    ["a string", "user1"],
    ["null", null],
  ])("refuses a payload that is %s", async (_name, payload) => {
    await expectRefused(handMade({}, payload));
  });

  it("refuses a payload that is not JSON", async () => {
    const input = `${b64({ alg: "HS256", typ: "session+jwt", kid: KID })}.${b64("{not json")}`;
    await expectRefused(`${input}.${hmac("sha256", input)}`);
  });

  it.each(["sub", "iat", "exp", "jti", "auth_time", "iss", "aud"])("refuses a token without %s", async (claim) => {
    await expectRefused(handMade({}, claims({ [claim]: undefined })));
  });

  it.each([
    ["a number", 42],
    ["an empty string", ""],
    ["an object", { name: "user1" }],
    ["a path", "../user1"],
  ])("refuses a sub that is %s", async (_name, sub) => {
    await expectRefused(handMade({}, claims({ sub })));
  });

  it("refuses a token that is not valid yet (nbf) or issued in the future (iat)", async () => {
    await expectRefused(handMade({}, claims({ nbf: NOW + 60 })));
    await expectRefused(handMade({}, claims({ iat: NOW + 60, exp: NOW + 360, auth_time: NOW + 60 })));
  });

  it("refuses a token claiming a longer life than the TTL", async () => {
    await expectRefused(
      handMade({}, claims({ iat: NOW - 400, exp: NOW + 3600, auth_time: NOW - 400 })),
      "token_expired",
    );
  });

  it.each([
    ["a wrong iss", { iss: "someone-else" }],
    ["a wrong aud", { aud: "serverless-jwt-auth/prod" }],
    ["an auth_time after iat", { auth_time: NOW + 1 }],
    ["a string auth_time", { auth_time: String(NOW) }],
  ])("refuses %s", async (_name, overrides) => {
    await expectRefused(handMade({}, claims(overrides)));
  });

  it.each([
    ["no typ", { typ: undefined }],
    ["typ JWT", { typ: "JWT" }],
    ["another typ", { typ: "at+jwt" }],
  ])("refuses %s", async (_name, header) => {
    await expectRefused(handMade(header, claims()));
  });

  it("refuses a token signed with another key under our kid", async () => {
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", typ: "session+jwt", kid: KID })
      .sign(randomBytes(32));
    await expectRefused(forged);
  });

  it("refuses the tutorial's token, signed by jsonwebtoken with my_secret_key", async () => {
    const tutorial = jsonwebtoken.sign({ username: "user1" }, "my_secret_key", { algorithm: "HS256", expiresIn: 300 });
    await expectRefused(tutorial);
  });

  it.each([
    ["without a sid", { sid: undefined }],
    ["whose sid is too short to be random", { sid: "abc" }],
    ["whose sid is not a string", { sid: 1234567890123456 }],
    ["whose jti is not a string", { jti: 1234 }],
    ["whose jti is too long to be ours", { jti: "j".repeat(65) }],
  ])("refuses a token %s", async (_name, overrides) => {
    await expectRefused(handMade({}, claims(overrides)));
  });

  it("refuses a session older than SESSION_MAX_SECONDS even in a live token", async () => {
    const old = NOW - policy.sessionMaxSeconds;
    await expectRefused(handMade({}, claims({ auth_time: old })), "session_expired");
  });
});

describe("assertRefreshAllowed", () => {
  const session = (expiresIn: number): Session => ({
    user: "user1",
    sid: SID,
    jti: "jti-1",
    issuedAt: (NOW - (300 - expiresIn)) * 1000,
    expiresAt: (NOW + expiresIn) * 1000,
    authTime: NOW * 1000,
  });

  it("refuses with refresh_too_early while more than 30 s are left", () => {
    expect(() => assertRefreshAllowed(session(31), NOW * 1000, policy)).toThrow(
      expect.objectContaining({ status: 400, code: "refresh_too_early" }),
    );
  });

  it("allows a refresh with 30 s or less left", () => {
    expect(() => assertRefreshAllowed(session(30), NOW * 1000, policy)).not.toThrow();
    expect(() => assertRefreshAllowed(session(1), NOW * 1000, policy)).not.toThrow();
  });
});
