import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHasher } from "./ports.ts";

/** An scrypt cost: N (a power of two), r and p. */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The costs a stored hash may have: N a power of two from minN to maxN, with this r and p. */
export interface ScryptCostRange {
  readonly minN: number;
  readonly maxN: number;
  readonly r: number;
  readonly p: number;
}

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

/**
 * Passwords hashed with scrypt as `scrypt$N$r$p$<salt>$<hash>` (base64url): new hashes at `cost`,
 * stored hashes checked only when their cost is within `range`. The functions and the CLI use
 * `passwords` (SCRYPT_PARAMS within SCRYPT_COST_RANGE); the constructor throws RangeError for a
 * cost outside its range, so nothing writes a hash that sign-in would refuse.
 */
export class ScryptPasswords implements PasswordHasher {
  /**
   * What an unknown name is checked against: a hash at `cost` (so it follows a raised cost), a
   * random salt and a random digest no password produces. A wrong name so costs the same hashing
   * work as a wrong password.
   */
  readonly decoy: string;

  constructor(
    readonly cost: ScryptCost = SCRYPT_PARAMS,
    readonly range: ScryptCostRange = SCRYPT_COST_RANGE,
  ) {
    if (!this.#inRange(cost.N, cost.r, cost.p)) throw new RangeError("the scrypt cost is outside its accepted range");
    const { N, r, p } = cost;
    this.decoy = `scrypt$${N}$${r}$${p}$${randomBytes(SALT_LENGTH).toString("base64url")}$${randomBytes(KEY_LENGTH).toString("base64url")}`;
  }

  #inRange(N: number, r: number, p: number): boolean {
    const { minN, maxN } = this.range;
    return N >= minN && N <= maxN && (N & (N - 1)) === 0 && r === this.range.r && p === this.range.p;
  }

  /** Hashes a password at `cost`, with a fresh random salt. */
  async hash(password: string): Promise<string> {
    const { N, r, p } = this.cost;
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, { N, r, p });
    return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
  }

  /** Whether `encoded` is a hash this can check, with a cost within `range`. */
  isHash(encoded: unknown): encoded is string {
    if (typeof encoded !== "string") return false;
    const match = HASH_PATTERN.exec(encoded);
    return match !== null && this.#inRange(Number(match[1]), Number(match[2]), Number(match[3]));
  }

  /** Checks a password against an encoded hash in constant time; false for an unusable hash. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const match = HASH_PATTERN.exec(encoded);
    if (match === null) return false;
    const [, N, r, p, salt = "", expected = ""] = match.map(String);
    if (!this.#inRange(Number(N), Number(r), Number(p))) return false;
    const key = await derive(password, Buffer.from(salt, "base64url"), { N: Number(N), r: Number(r), p: Number(p) });
    return timingSafeEqual(key, Buffer.from(expected, "base64url"));
  }

  /**
   * Whether `password` is right for a stored hash. An unknown user (no hash) or an unusable hash
   * costs the same scrypt work as a known one (the decoy), and the answer does not say which of
   * the two was wrong.
   */
  async matches(password: string, hash: string | undefined): Promise<boolean> {
    const usable = hash !== undefined && this.isHash(hash) ? hash : undefined;
    const matches = await this.verify(password, usable ?? this.decoy);
    return usable !== undefined && matches;
  }
}

/** The shipped password hashing: SCRYPT_PARAMS, stored hashes within SCRYPT_COST_RANGE. */
export const passwords = new ScryptPasswords();
