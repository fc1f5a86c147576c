import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

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

/**
 * Whether `password` is right for a stored hash. An unknown user (no hash) or an unusable hash
 * costs the same scrypt work as a known one, and the answer does not say which of the two was
 * wrong.
 */
export async function passwordMatches(password: string, hash: string | undefined): Promise<boolean> {
  const usable = hash !== undefined && isPasswordHash(hash) ? hash : undefined;
  const matches = await verifyPassword(password, usable ?? DECOY_HASH);
  return usable !== undefined && matches;
}
