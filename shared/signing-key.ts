import { randomBytes, type webcrypto } from "node:crypto";
import { UnusableSecretError } from "./errors.ts";
import { log } from "./log.ts";
import { CachedSecret, type CacheOptions, type ReadSecretVersion, type SecretVersion } from "./secret-cache.ts";

/** A WebCrypto key, as Node types it. */
export type CryptoKey = webcrypto.CryptoKey;

/** An HMAC key ready for jose, and the secret version it came from (the tokens' `kid`). */
export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

/** Fewest key bytes accepted: HS256 wants at least the hash size (RFC 7518, 3.2). */
export const MIN_KEY_BYTES = 32;

/**
 * How a `kid` of ours looks: a Secrets Manager version id, which is the rotation's
 * ClientRequestToken, 32 to 64 characters (AWS's bounds), here also visible ASCII. A kid of any
 * other shape is refused unread; rotation refuses any other token at createSecret.
 */
export const KID_PATTERN = /^[\x21-\x7e]{32,64}$/;

/** Before trying again to find a kid it does not know, a container waits at least this long. */
export const UNKNOWN_KID_RETRY_MS = 10_000;

/**
 * Decodes the secret value, a JSON Web Key `{"kty":"oct","k":"<base64url>","alg":"HS256"}`, into
 * raw key bytes. Throws UnusableSecretError, without quoting the value, when it is not such a key
 * or is shorter than MIN_KEY_BYTES.
 */
export function parseSigningKeyJwk(value: string): Uint8Array {
  let jwk: unknown;
  try {
    jwk = JSON.parse(value);
  } catch {
    throw new UnusableSecretError("signing key secret is not JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new UnusableSecretError("signing key secret is not a JSON object");
  }
  const { kty, k, alg } = jwk as Record<string, unknown>;
  if (kty !== "oct" || typeof k !== "string" || !/^[A-Za-z0-9_-]+$/.test(k)) {
    throw new UnusableSecretError('signing key secret is not an "oct" JWK with a base64url "k"');
  }
  if (alg !== undefined && alg !== "HS256") {
    throw new UnusableSecretError('signing key secret has an "alg" other than HS256');
  }
  const bytes = Buffer.from(k, "base64url");
  if (bytes.length < MIN_KEY_BYTES) {
    throw new UnusableSecretError(`signing key is shorter than ${MIN_KEY_BYTES} bytes`);
  }
  return new Uint8Array(bytes);
}

/** A new random key of MIN_KEY_BYTES as the JSON Web Key the signing-key secret holds. */
export function newSigningKeyJwk(): string {
  return JSON.stringify({ kty: "oct", k: randomBytes(MIN_KEY_BYTES).toString("base64url"), alg: "HS256" });
}

/** Imports key bytes once as a non-extractable HMAC-SHA-256 CryptoKey. */
export function importSigningKey(bytes: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

interface KeySet {
  readonly current: SigningKey;
  /** Read after a token asked for a kid that is not current, or when AWSCURRENT changed. */
  readonly previous: SigningKey | undefined;
}

/**
 * The signing keys of one container: the AWSCURRENT version signs, and verification picks a key
 * by `kid` among AWSCURRENT and AWSPREVIOUS. In steady state one GetSecretValue per cache age is
 * made (two when that read finds a new AWSCURRENT, to learn the AWSPREVIOUS that came with it);
 * a `kid` it does not know makes it read both stages again, at most once per
 * UNKNOWN_KID_RETRY_MS, shared by concurrent requests, so a container that has not seen a
 * rotation yet catches up, and made-up kids cannot make it hammer the store.
 * Methods reject with ServiceUnavailableError when the store cannot give a usable key.
 */
export class SigningKeyRing {
  readonly #read: ReadSecretVersion;
  readonly #now: () => number;
  readonly #keys: CachedSecret<KeySet>;
  #last: KeySet | undefined;
  /** Set when a catch-up is asked for; the next load to start reads both stages and clears it. */
  #catchUpAsked = false;
  #catchUp: Promise<KeySet> | undefined;
  #lastCatchUp = Number.NEGATIVE_INFINITY;

  constructor(read: ReadSecretVersion, options: CacheOptions) {
    this.#read = read;
    this.#now = options.now ?? Date.now;
    this.#keys = new CachedSecret(() => this.#load(), options);
  }

  /** The key that signs new tokens. */
  async current(): Promise<SigningKey> {
    return (await this.#keys.get()).current;
  }

  /** The key a token's `kid` names, or undefined when it is not AWSCURRENT nor AWSPREVIOUS. */
  async forKid(kid: string): Promise<SigningKey | undefined> {
    if (!KID_PATTERN.test(kid)) return undefined;
    const known = pick(await this.#keys.get(), kid);
    if (known !== undefined) return known;
    return pick(await this.#caughtUp(), kid);
  }

  /** Forgets every key, as a new container would. */
  clear(): void {
    this.#keys.clear();
    this.#last = undefined;
    this.#catchUpAsked = false;
    this.#catchUp = undefined;
    this.#lastCatchUp = Number.NEGATIVE_INFINITY;
  }

  /**
   * Both stages read again, or the cached keys when the last catch-up was too recent. Requests
   * that arrive while a catch-up is under way wait for it rather than being refused.
   */
  #caughtUp(): Promise<KeySet> {
    if (this.#catchUp !== undefined) return this.#catchUp;
    if (this.#now() - this.#lastCatchUp < UNKNOWN_KID_RETRY_MS) return this.#keys.get();
    this.#lastCatchUp = this.#now();
    this.#catchUp = (async () => {
      this.#catchUpAsked = true;
      let keys = await this.#keys.reload();
      // A load already under way when the catch-up was asked read AWSCURRENT only: read again.
      if (this.#catchUpAsked) keys = await this.#keys.reload();
      return keys;
    })().finally(() => {
      this.#catchUp = undefined;
    });
    return this.#catchUp;
  }

  async #load(): Promise<KeySet> {
    const catchUp = this.#catchUpAsked;
    this.#catchUpAsked = false;
    const last = this.#last;
    const [current, previousRead] = await Promise.all([
      this.#read("AWSCURRENT"),
      catchUp ? this.#read("AWSPREVIOUS") : undefined,
    ]);
    if (current === undefined) throw new UnusableSecretError("signing key secret has no AWSCURRENT version");
    let previous: SigningKey | undefined;
    if (catchUp) {
      previous = await this.#importPrevious(previousRead, last);
    } else if (last?.current.kid === current.versionId) {
      // AWSPREVIOUS moves only when AWSCURRENT does, so the one already known is still right.
      previous = last.previous;
    } else if (last !== undefined) {
      // A rotation happened since the last read: the sessions signed just before it carry the
      // new AWSPREVIOUS, so learn it now rather than spend the rate-limited catch-up on it.
      previous = await this.#importPrevious(await this.#read("AWSPREVIOUS"), last);
    }
    const keys: KeySet = {
      current: await this.#import(current, last),
      // A rotation between the two reads can make both name one version; keep it once.
      previous: previous?.kid === current.versionId ? undefined : previous,
    };
    this.#last = keys;
    return keys;
  }

  /**
   * The previous key, or none when there is no AWSPREVIOUS or it is unusable: a bad old version
   * must not take the current key down with it, it only ends the sessions it signed.
   */
  async #importPrevious(version: SecretVersion | undefined, last: KeySet | undefined) {
    if (version === undefined) return undefined;
    try {
      return await this.#import(version, last);
    } catch (err) {
      if (!(err instanceof UnusableSecretError)) throw err;
      log("warn", "AWSPREVIOUS signing key is unusable; only AWSCURRENT verifies", { cause: err.message });
      return undefined;
    }
  }

  /**
   * Imports a version's key, reusing the CryptoKey when the version is already known. Throws
   * UnusableSecretError when the value is no key or the version id cannot be a kid.
   */
  async #import(version: SecretVersion, last: KeySet | undefined): Promise<SigningKey> {
    const known = last === undefined ? undefined : pick(last, version.versionId);
    if (known !== undefined) return known;
    // forKid refuses such a kid unread, so every token signed with this version would be refused.
    if (!KID_PATTERN.test(version.versionId)) {
      throw new UnusableSecretError("signing key version id cannot be a kid: 32 to 64 visible ASCII characters");
    }
    return { kid: version.versionId, key: await importSigningKey(parseSigningKeyJwk(version.value)) };
  }
}

function pick(keys: KeySet, kid: string): SigningKey | undefined {
  if (keys.current.kid === kid) return keys.current;
  if (keys.previous?.kid === kid) return keys.previous;
  return undefined;
}
