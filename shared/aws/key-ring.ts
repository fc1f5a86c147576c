import { UnusableSecretError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { KeyRing } from "../core/ports.ts";
import { importSigningKey, KID_PATTERN, parseSigningKeyJwk, type SigningKey } from "../core/signing-key.ts";
import { CachedSecret, type CacheOptions, type ReadSecretVersion, type SecretVersion } from "./secret-cache.ts";

/** Before trying again to find a kid it does not know, a container waits at least this long. */
export const UNKNOWN_KID_RETRY_MS = 10_000;

interface KeySet {
  readonly current: SigningKey;
  /** Read after a token asked for a kid that is not current, or when AWSCURRENT changed. */
  readonly previous: SigningKey | undefined;
}

/**
 * The signing keys of one container: the AWSCURRENT version signs, and verification picks a key
 * by `kid` among AWSCURRENT and AWSPREVIOUS. In steady state one GetSecretValue per cache age is
 * made (two when that read finds a new AWSCURRENT, to learn the AWSPREVIOUS that came with it,
 * and two while a previous key is held, so that one taken away stops verifying);
 * a `kid` it does not know makes it read both stages again, at most once per
 * UNKNOWN_KID_RETRY_MS, shared by concurrent requests, so a container that has not seen a
 * rotation yet catches up, and made-up kids cannot make it hammer the store.
 * Methods reject with ServiceUnavailableError when the store cannot give a usable key.
 */
export class SigningKeyRing implements KeyRing {
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
    // A previous key held is read again at each cache age: `npm run rotate-key -- --revoke-previous`
    // takes AWSPREVIOUS away without moving AWSCURRENT, and a leaked key must stop verifying.
    const readPrevious = catchUp || last?.previous !== undefined;
    const [current, previousRead] = await Promise.all([
      this.#read("AWSCURRENT"),
      readPrevious ? this.#read("AWSPREVIOUS") : undefined,
    ]);
    if (current === undefined) throw new UnusableSecretError("signing key secret has no AWSCURRENT version");
    // With no previous key known and AWSCURRENT unchanged, there is none: AWSPREVIOUS gains one
    // only when AWSCURRENT moves.
    let previous: SigningKey | undefined;
    if (readPrevious) {
      previous = await this.#importPrevious(previousRead, last);
    } else if (last !== undefined && last.current.kid !== current.versionId) {
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
