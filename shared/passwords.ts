import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { USERNAME_PATTERN } from "./credentials.ts";
import { UnusableSecretError } from "./errors.ts";

/** scrypt cost for new hashes: N=2^15, r=8, p=1 (32 MiB, OWASP's floor is 2^17 at 128 MiB). */
export const SCRYPT_PARAMS = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const HASH_PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  const maxmem = 256 * (params.N ?? 0) * (params.r ?? 0) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_LENGTH, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$<salt>$<hash>` (base64url), with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `encoded` is a hash this module can check, with parameters in a sane range. */
export function isPasswordHash(encoded: unknown): encoded is string {
  if (typeof encoded !== "string") return false;
  const match = HASH_PATTERN.exec(encoded);
  if (match === null) return false;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return N >= 1024 && N <= 1_048_576 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

/** Checks a password against an encoded hash in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = HASH_PATTERN.exec(encoded);
  if (match === null || !isPasswordHash(encoded)) return false;
  const [, N, r, p, salt = "", expected = ""] = match;
  const key = await derive(password, Buffer.from(salt, "base64url"), { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, Buffer.from(expected, "base64url"));
}

// The hash of a random password nobody knows, with the current parameters: an unknown user is
// checked against it, so that a wrong name costs the same hashing work as a wrong password.
const DECOY_HASH = "scrypt$32768$8$1$-PC2B7l9hsM1ROthRmiYYw$87iewRyGecQD9dsNZRASI1fg1__xxZaI_MRZpy7MYtY";

/** The users allowed to sign in, by name, each with a password hash. */
export class UserDirectory {
  readonly #hashes: ReadonlyMap<string, string>;

  constructor(hashes: ReadonlyMap<string, string>) {
    this.#hashes = hashes;
  }

  get size(): number {
    return this.#hashes.size;
  }

  /**
   * Whether the password is right for the user. An unknown user costs the same scrypt work as a
   * known one, and the answer does not say which of the two was wrong.
   */
  async authenticate(username: string, password: string): Promise<boolean> {
    const hash = this.#hashes.get(username);
    const matches = await verifyPassword(password, hash ?? DECOY_HASH);
    return hash !== undefined && matches;
  }
}

/**
 * Parses the users secret, JSON `{"<username>": "<scrypt hash>"}`. Throws UnusableSecretError
 * when it is not such an object; an entry with a bad name or hash is skipped.
 */
export function parseUserDirectory(value: string): { directory: UserDirectory; skipped: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UnusableSecretError("users secret is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UnusableSecretError("users secret is not a JSON object");
  }
  const hashes = new Map<string, string>();
  let skipped = 0;
  for (const [name, hash] of Object.entries(parsed)) {
    if (USERNAME_PATTERN.test(name) && isPasswordHash(hash)) hashes.set(name, hash);
    else skipped += 1;
  }
  return { directory: new UserDirectory(hashes), skipped };
}
