import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { AppError, unavailable } from "../core/errors.ts";
import { log } from "../core/log.ts";

/** One version of a secret, as read from AWS Secrets Manager. */
export interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
}

export type VersionStage = "AWSCURRENT" | "AWSPREVIOUS";

/** Reads one staged version of a secret; resolves undefined when that stage does not exist. */
export type ReadSecretVersion = (stage: VersionStage) => Promise<SecretVersion | undefined>;

/**
 * Binds GetSecretValue for one secret, bounded by timeoutMs. Throws AppError `service_unavailable`
 * (with the SDK error as cause) for every failure of the store: missing secret, access
 * denied, throttling, network, timeout, or a version without a string value. A missing
 * AWSPREVIOUS stage is not a failure: there is simply no previous version yet.
 */
export function secretVersionReader(
  client: SecretsManagerClient,
  secretId: string,
  timeoutMs: number,
): ReadSecretVersion {
  return async (stage) => {
    let output: GetSecretValueCommandOutput;
    try {
      output = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (stage !== "AWSCURRENT" && (err as { name?: unknown }).name === "ResourceNotFoundException") {
        return undefined;
      }
      throw unavailable(err);
    }
    if (typeof output.SecretString !== "string" || typeof output.VersionId !== "string") {
      throw unavailable(new Error(`secret ${secretId} (${stage}) has no string value`));
    }
    return { versionId: output.VersionId, value: output.SecretString };
  };
}

export interface CacheOptions {
  /** What the value is, for log lines. */
  readonly name: string;
  /** A loaded value is used this long before it is loaded again. */
  readonly maxAgeMs: number;
  /** While loading fails, a value up to maxAgeMs + staleMs old is still used. */
  readonly staleMs: number;
  /** After a failure, no new load is tried for this long (the store is not hammered). */
  readonly retryAfterFailureMs: number;
  /** The clock, in milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/**
 * A value loaded from the secret store and kept per container: reused for maxAgeMs, loaded by
 * one shared in-flight call when it is missing or old, and served stale for a bounded time when
 * the store fails. Rejects with AppError `service_unavailable` when there is no usable value.
 */
export class CachedSecret<T> {
  #value: T | undefined;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<T> | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;
  readonly #now: () => number;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly options: CacheOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** The cached value while it is fresh, else a newly loaded one. */
  get(): Promise<T> {
    const value = this.#value;
    if (value !== undefined && this.#now() - this.#loadedAt < this.options.maxAgeMs) {
      return Promise.resolve(value);
    }
    return this.reload();
  }

  /** Loads the value now (shared with any load already under way), whatever its age. */
  reload(): Promise<T> {
    if (this.#inFlight === undefined) {
      this.#inFlight = this.#load().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  /** Forgets the value, as a new container would not have it. */
  clear(): void {
    this.#value = undefined;
    this.#loadedAt = Number.NEGATIVE_INFINITY;
    this.#failedAt = Number.NEGATIVE_INFINITY;
    this.#lastError = undefined;
  }

  async #load(): Promise<T> {
    if (this.#now() - this.#failedAt < this.options.retryAfterFailureMs) {
      return this.#staleOrThrow(this.#lastError, false);
    }
    try {
      const value = await this.load();
      this.#value = value;
      this.#loadedAt = this.#now();
      this.#failedAt = Number.NEGATIVE_INFINITY;
      return value;
    } catch (err) {
      const failure = asUnavailable(err);
      this.#failedAt = this.#now();
      this.#lastError = failure;
      return this.#staleOrThrow(failure, true);
    }
  }

  #staleOrThrow(err: unknown, fresh: boolean): T {
    const value = this.#value;
    const age = this.#now() - this.#loadedAt;
    if (value !== undefined && age < this.options.maxAgeMs + this.options.staleMs) {
      if (fresh) {
        log("warn", "secret store failed; using the cached value", {
          secret: this.options.name,
          ageSeconds: Math.round(age / 1000),
          cause: describeCause(err),
        });
      }
      return value;
    }
    throw err;
  }
}

function asUnavailable(err: unknown): AppError {
  return err instanceof AppError ? err : unavailable(err);
}

function describeCause(err: unknown): string | undefined {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined;
}
