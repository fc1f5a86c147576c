/**
 * The passkey use cases in memory with a moved clock: the reauthentication rule, the challenge
 * rules (single use, purpose, session, five minutes, expiry checked on read), the credential rules
 * (unknown, wrong key, origin or RP ID, removed user, user handle, sign count) and ownership.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "../shared/core/errors.ts";
import {
  CHALLENGE_TTL_MS,
  listPasskeys,
  type PasskeyDeps,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  removePasskey,
  signInWithPasskey,
} from "../shared/core/passkeys.ts";
import { checkSession, signIn } from "../shared/core/session.ts";
import { type FakeResponse, type MemoryPasskeyStore, memoryPasskeyDeps, RP } from "./support/memory-passkeys.ts";

let deps: PasskeyDeps;
let store: MemoryPasskeyStore;
let clock: { now: number };

beforeEach(async () => {
  ({ deps, store, clock } = await memoryPasskeyDeps());
  await store.withUser("user1", "password1");
  await store.withUser("user2", "password2");
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function signedIn(username = "user1"): Promise<string> {
  return (await signIn(deps, { username, password: username === "user1" ? "password1" : "password2" }, CLIENT)).token;
}

const KEY = "public-key-1";
const CLIENT = { device: "Chrome on macOS", ip: "192.0.2.10" };

/** Asks for creation options and answers them as an authenticator holding `signedBy` would. */
async function register(token: string, credentialId = "cred-1", overrides: Partial<FakeResponse> = {}) {
  const options = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { challenge: string };
  const response: FakeResponse = {
    challenge: options.challenge,
    origin: "https://example.com",
    rpId: "example.com",
    credentialId,
    signedBy: KEY,
    signCount: 0,
    ...overrides,
  };
  return { response, created: await registerPasskey(deps, RP, token, response, undefined, CLIENT) };
}

/** A sign-in response for fresh request options, as the authenticator holding `cred-1` answers. */
async function assertion(overrides: Partial<FakeResponse> = {}): Promise<FakeResponse> {
  const options = (await passkeySignInOptions(deps, RP)) as { challenge: string };
  return {
    challenge: options.challenge,
    origin: "https://example.com",
    rpId: "example.com",
    credentialId: "cred-1",
    signedBy: KEY,
    signCount: 1,
    userHandle: store.users.get("user1")?.webauthnUserId,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof AppError ? err.code : `not refused: ${String(err)}`;
}

describe("registering a passkey", () => {
  it("gives creation options within REAUTH_MAX_SECONDS of the sign-in, without the password", async () => {
    const token = await signedIn();
    clock.now += 300_000;

    const options = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { challenge: string };
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("asks for reauthentication once the sign-in is older than REAUTH_MAX_SECONDS", async () => {
    const token = await signedIn();
    clock.now += 301_000;

    expect(await refusal(passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT))).toBe(
      "reauthentication_required",
    );
    await expect(passkeyRegistrationOptions(deps, RP, token, "password1", CLIENT)).resolves.toBeDefined();
  });

  it("counts a wrong password toward the lockout, as a sign-in failure", async () => {
    const token = await signedIn();
    clock.now += 301_000;

    expect(await refusal(passkeyRegistrationOptions(deps, RP, token, "wrong", CLIENT))).toBe("invalid_credentials");
    expect(store.attempts.get("user1")?.failures).toBe(1);
  });

  it("takes the counted attempt back when the right password finds the counter's table failing", async () => {
    const token = await signedIn();
    clock.now += 301_000;
    store.attempts.set("user1", { failures: 2, lockedUntil: 0, expiresAt: clock.now + 60_000 });
    const before = store.attempts.get("user1");
    store.failingOn.set("deleteAttempts", "before");

    expect(await refusal(passkeyRegistrationOptions(deps, RP, token, "password1", CLIENT))).toBe("service_unavailable");
    expect(store.attempts.get("user1")).toEqual(before);
  });

  it("gives the user a random user handle, never the username, the same at each registration", async () => {
    const token = await signedIn();
    const first = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { user: { id: string } };
    const second = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { user: { id: string } };

    expect(first.user.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.user.id).not.toContain("user1");
    expect(second.user.id).toBe(first.user.id);
    expect(store.users.get("user1")?.webauthnUserId).toBe(first.user.id);
  });

  it("registers the passkey and lists it, excluded from the next creation options", async () => {
    const token = await signedIn();
    const { created } = await register(token);

    expect(created).toEqual({ id: "cred-1", name: "Passkey", createdAt: clock.now, lastUsedAt: undefined });
    expect(await listPasskeys(deps, token)).toEqual([created]);
    const next = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as {
      excludeCredentials: string[];
    };
    expect(next.excludeCredentials).toEqual(["cred-1"]);
  });

  it("takes a challenge once: the same response again is refused", async () => {
    const token = await signedIn();
    const { response } = await register(token);

    expect(
      await refusal(registerPasskey(deps, RP, token, { ...response, credentialId: "cred-2" }, undefined, CLIENT)),
    ).toBe("invalid_passkey");
  });

  it("refuses a challenge issued to another session", async () => {
    const token = await signedIn();
    const other = await signedIn();
    const options = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { challenge: string };
    const response = {
      challenge: options.challenge,
      origin: RP.origins[0],
      rpId: RP.id,
      credentialId: "c",
      signedBy: KEY,
      signCount: 0,
    };

    expect(await refusal(registerPasskey(deps, RP, other, response, undefined, CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a challenge after five minutes, though its item is still there", async () => {
    const token = await signedIn();
    const options = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { challenge: string };
    clock.now += CHALLENGE_TTL_MS;
    const response = {
      challenge: options.challenge,
      origin: RP.origins[0],
      rpId: RP.id,
      credentialId: "c",
      signedBy: KEY,
      signCount: 0,
    };

    expect(store.challenges.has(options.challenge)).toBe(true);
    expect(await refusal(registerPasskey(deps, RP, token, response, undefined, CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a sign-in challenge answered as a registration", async () => {
    const token = await signedIn();
    const response = await assertion({ credentialId: "c", signCount: 0 });

    expect(await refusal(registerPasskey(deps, RP, token, response, undefined, CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a response from another origin or for another RP ID", async () => {
    const token = await signedIn();

    expect(await refusal(register(token, "c", { origin: "https://evil.example" }))).toBe("invalid_passkey");
    expect(await refusal(register(token, "c", { rpId: "evil.example" }))).toBe("invalid_passkey");
    expect(store.passkeys.size).toBe(0);
  });

  it("refuses a credential id registered already", async () => {
    const token = await signedIn();
    await register(token);

    expect(await refusal(register(await signedIn("user2"), "cred-1"))).toBe("invalid_passkey");
    expect(store.passkeys.get("cred-1")?.username).toBe("user1");
  });
});

describe("signing in with a passkey", () => {
  beforeEach(async () => {
    await register(await signedIn());
  });

  it("starts a new session, as a password sign-in does, and records the use", async () => {
    clock.now += 60_000;
    const issued = await signInWithPasskey(deps, RP, await assertion(), CLIENT);

    const session = await checkSession(deps, issued.token);
    expect(session.user).toBe("user1");
    expect(store.sessions.get(session.sid)).toMatchObject({ username: "user1", createdAt: clock.now });
    expect(store.passkeys.get("cred-1")).toMatchObject({ signCount: 1, lastUsedAt: clock.now });
  });

  it("refuses a response replayed: its challenge was taken", async () => {
    const response = await assertion();
    await signInWithPasskey(deps, RP, response, CLIENT);

    expect(await refusal(signInWithPasskey(deps, RP, { ...response, signCount: 2 }, CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a challenge answered five minutes after it was issued", async () => {
    const response = await assertion();
    clock.now += CHALLENGE_TTL_MS;

    expect(await refusal(signInWithPasskey(deps, RP, response, CLIENT))).toBe("invalid_passkey");
  });

  it("accepts a challenge answered just inside five minutes", async () => {
    const response = await assertion();
    clock.now += CHALLENGE_TTL_MS - 1;

    await expect(signInWithPasskey(deps, RP, response, CLIENT)).resolves.toMatchObject({ user: "user1" });
  });

  it("refuses a registration challenge answered as a sign-in", async () => {
    const token = await signedIn();
    const options = (await passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT)) as { challenge: string };

    expect(await refusal(signInWithPasskey(deps, RP, await assertion({ challenge: options.challenge }), CLIENT))).toBe(
      "invalid_passkey",
    );
  });

  it.each([
    ["an unknown credential", { credentialId: "cred-unknown" }],
    ["another key's signature", { signedBy: "someone-else" }],
    ["another origin", { origin: "https://evil.example" }],
    ["another RP ID", { rpId: "evil.example" }],
    ["another user handle", { userHandle: "not-the-users-handle" }],
  ])("refuses %s with invalid_passkey", async (_name, overrides) => {
    expect(await refusal(signInWithPasskey(deps, RP, await assertion(overrides), CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a removed user's passkey with the same answer", async () => {
    const response = await assertion();
    store.users.delete("user1");

    expect(await refusal(signInWithPasskey(deps, RP, response, CLIENT))).toBe("invalid_passkey");
  });

  it("refuses a sign count that goes backwards, and logs a possible clone", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await signInWithPasskey(deps, RP, await assertion({ signCount: 5 }), CLIENT);

    expect(await refusal(signInWithPasskey(deps, RP, await assertion({ signCount: 5 }), CLIENT))).toBe(
      "invalid_passkey",
    );
    expect(await refusal(signInWithPasskey(deps, RP, await assertion({ signCount: 3 }), CLIENT))).toBe(
      "invalid_passkey",
    );
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]?.[0])).toContain("possible cloned authenticator");
    await expect(signInWithPasskey(deps, RP, await assertion({ signCount: 6 }), CLIENT)).resolves.toBeDefined();
  });

  it("accepts an authenticator that counts nothing (0 stays 0)", async () => {
    await signInWithPasskey(deps, RP, await assertion({ signCount: 0 }), CLIENT);

    await expect(signInWithPasskey(deps, RP, await assertion({ signCount: 0 }), CLIENT)).resolves.toBeDefined();
  });
});

describe("managing passkeys", () => {
  it("removes a passkey within REAUTH_MAX_SECONDS; then it signs no one in", async () => {
    const token = await signedIn();
    await register(token);
    const response = await assertion();

    expect(await removePasskey(deps, token, "cred-1", undefined, CLIENT)).toBe("user1");
    expect(await listPasskeys(deps, token)).toEqual([]);
    expect(await refusal(signInWithPasskey(deps, RP, response, CLIENT))).toBe("invalid_passkey");
  });

  it("asks for reauthentication to remove one after REAUTH_MAX_SECONDS", async () => {
    const token = await signedIn();
    await register(token);
    clock.now += 301_000;

    expect(await refusal(removePasskey(deps, token, "cred-1", undefined, CLIENT))).toBe("reauthentication_required");
    expect(await removePasskey(deps, token, "cred-1", "password1", CLIENT)).toBe("user1");
  });

  it("answers passkey_not_found for another user's passkey or an unknown id, and removes nothing", async () => {
    await register(await signedIn());
    const other = await signedIn("user2");

    expect(await refusal(removePasskey(deps, other, "cred-1", undefined, CLIENT))).toBe("passkey_not_found");
    expect(await refusal(removePasskey(deps, other, "nope", undefined, CLIENT))).toBe("passkey_not_found");
    expect(store.passkeys.has("cred-1")).toBe(true);
    expect(await listPasskeys(deps, other)).toEqual([]);
  });

  it("refuses every passkey route to an ended session", async () => {
    const token = await signedIn();
    await deps.store.endUserSessions("user1", clock.now);

    expect(await refusal(listPasskeys(deps, token))).toBe("session_revoked");
    expect(await refusal(passkeyRegistrationOptions(deps, RP, token, undefined, CLIENT))).toBe("session_revoked");
  });
});
