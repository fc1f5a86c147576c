import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt cost for new hashes: N=2^15, r=8, p=1 (32 MiB, OWASP's floor is 2^17 at 128 MiB). To
 * raise it, set N to another power of two within SCRYPT_COST_RANGE: new hashes take it, old ones
 * keep verifying (docs/security.md, "Password hashing cost").
 */
export const SCRYPT_PARAMS = { N: 32_768, r: 8, p: 1 } as const;

/**
 * The only costs a stored hash may have: N a power of two from 2^15 to 2^17, r=8, p=1. At most
 * 128 MiB and about two thirds of a second per attempt on a 512 MB function; a hash outside this
 * range is refused unread, so a crafted entry cannot make one sign-in take gigabytes or seconds.
 */
export const SCRYPT_COST_RANGE = { minN: 32_768, maxN: 131_072, r: 8, p: 1 } as const;
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

function inCostRange(N: number, r: number, p: number): boolean {
  const { minN, maxN } = SCRYPT_COST_RANGE;
  return N >= minN && N <= maxN && (N & (N - 1)) === 0 && r === SCRYPT_COST_RANGE.r && p === SCRYPT_COST_RANGE.p;
}

/**
 * Hashes a password as `scrypt$N$r$p$<salt>$<hash>` (base64url), with a fresh random salt. Throws
 * RangeError when SCRYPT_PARAMS were set outside SCRYPT_COST_RANGE, so no tool writes a hash
 * that sign-in would refuse.
 */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  if (!inCostRange(N, r, p)) throw new RangeError("SCRYPT_PARAMS are outside SCRYPT_COST_RANGE");
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `encoded` is a hash this module can check, with a cost within SCRYPT_COST_RANGE. */
export function isPasswordHash(encoded: unknown): encoded is string {
  if (typeof encoded !== "string") return false;
  const match = HASH_PATTERN.exec(encoded);
  if (match === null) return false;
  return inCostRange(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** Checks a password against an encoded hash in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = HASH_PATTERN.exec(encoded);
  if (match === null) return false;
  const [, N, r, p, salt = "", expected = ""] = match.map(String);
  if (!inCostRange(Number(N), Number(r), Number(p))) return false;
  const key = await derive(password, Buffer.from(salt, "base64url"), { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, Buffer.from(expected, "base64url"));
}

/**
 * What an unknown name is checked against: a hash with the configured cost (SCRYPT_PARAMS, so it
 * follows a raised cost), a random salt and a random digest no password produces. A wrong name
 * so costs the same hashing work as a wrong password of a user with the configured cost.
 */
export const DECOY_HASH = `scrypt$${SCRYPT_PARAMS.N}$${SCRYPT_PARAMS.r}$${SCRYPT_PARAMS.p}$${randomBytes(SALT_LENGTH).toString("base64url")}$${randomBytes(KEY_LENGTH).toString("base64url")}`;

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
