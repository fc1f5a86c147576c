/**
 * The passkey ports in memory, for the passkey use cases with a moved clock: the passkey store
 * (beside memory-store.ts's session store), and a WebAuthn verifier over plain objects (a "response" names
 * the key it was signed with, its origin, RP ID and sign count; the real library is exercised in
 * test/browser/passkeys.test.ts).
 */
import { loadConfig } from "../../shared/core/config.ts";
import type { PasskeyDeps } from "../../shared/core/passkeys.ts";
import type {
  ChallengeRecord,
  PasskeyRecord,
  PasskeyStore,
  RelyingParty,
  WebAuthnVerifier,
} from "../../shared/core/ports.ts";
import { MemoryKeyRing, MemoryStore, testPasswords } from "./memory-store.ts";

/** The session store of memory-store.ts, with the passkey store's conditions beside it. */
export class MemoryPasskeyStore extends MemoryStore implements PasskeyStore {
  readonly passkeys = new Map<string, PasskeyRecord>();
  readonly challenges = new Map<string, ChallengeRecord>();

  async getPasskey(id: string) {
    return this.passkeys.get(id);
  }
  async listPasskeys(username: string) {
    return [...this.passkeys.values()].filter((passkey) => passkey.username === username);
  }
  async putPasskey(record: PasskeyRecord) {
    if (this.passkeys.has(record.id)) return false;
    this.passkeys.set(record.id, record);
    return true;
  }
  async recordUse(record: PasskeyRecord, signCount: number, at: number) {
    const stored = this.passkeys.get(record.id);
    if (stored?.username !== record.username || stored.signCount !== record.signCount) return false;
    this.passkeys.set(record.id, { ...stored, signCount, lastUsedAt: at });
    return true;
  }
  async deletePasskey(id: string, username: string) {
    return this.passkeys.get(id)?.username === username && this.passkeys.delete(id);
  }
  async userHandle(username: string, candidate: string) {
    const user = this.users.get(username);
    if (user === undefined) return undefined;
    if (user.webauthnUserId === undefined) this.users.set(username, { ...user, webauthnUserId: candidate });
    return this.users.get(username)?.webauthnUserId;
  }
  async putChallenge(record: ChallengeRecord) {
    this.challenges.set(record.challenge, record);
  }
  async takeChallenge(challenge: string) {
    const record = this.challenges.get(challenge);
    this.challenges.delete(challenge);
    return record;
  }
}

/** What the fake authenticator puts in a response: a real one carries the same facts, signed. */
export interface FakeResponse {
  readonly challenge: string;
  readonly origin: string;
  readonly rpId: string;
  readonly credentialId: string;
  /** The public key whose private half "signed" it. */
  readonly signedBy: string;
  readonly signCount: number;
  readonly userHandle?: string;
}

/** Verifies FakeResponses as the library verifies real ones: key, challenge, origin, RP ID. */
export const fakeWebAuthn: WebAuthnVerifier = {
  async creationOptions({ challenge, userId, exclude }) {
    return { challenge, user: { id: userId }, excludeCredentials: exclude.map((passkey) => passkey.id) };
  },
  async requestOptions({ challenge }) {
    return { challenge, allowCredentials: [] };
  },
  registrationChallenge: (response) => (response as FakeResponse | undefined)?.challenge,
  assertionClaims(response) {
    const r = response as FakeResponse | undefined;
    return r === undefined
      ? undefined
      : { credentialId: r.credentialId, challenge: r.challenge, userHandle: r.userHandle };
  },
  async verifyRegistration(response, rp, challenge) {
    const r = response as FakeResponse;
    if (!matches(r, rp, challenge)) return undefined;
    return { id: r.credentialId, publicKey: r.signedBy, signCount: r.signCount, transports: ["internal"] };
  },
  async verifyAssertion(response, rp, challenge, passkey) {
    const r = response as FakeResponse;
    if (!matches(r, rp, challenge) || r.signedBy !== passkey.publicKey) return undefined;
    return { signCount: r.signCount };
  },
};

function matches(response: FakeResponse, rp: RelyingParty, challenge: string): boolean {
  return response.challenge === challenge && rp.origins.includes(response.origin) && response.rpId === rp.id;
}

export const RP: RelyingParty = { id: "example.com", name: "test", origins: ["https://example.com"] };

/** Passkey deps in memory, with a clock the test moves (`clock.now`, epoch ms); tokens outlive REAUTH_MAX_SECONDS. */
export async function memoryPasskeyDeps(env: Record<string, string> = { TOKEN_TTL_SECONDS: "900" }) {
  const store = new MemoryPasskeyStore();
  const clock = { now: Date.UTC(2030, 0, 1) };
  const deps: PasskeyDeps = {
    keys: await MemoryKeyRing.create(),
    store,
    passkeys: store,
    passwords: testPasswords,
    webauthn: fakeWebAuthn,
    clock: () => clock.now,
    policy: loadConfig(env),
  };
  return { deps, store, clock };
}
