/**
 * The data model of the local Secrets Manager: secrets with versions and staging labels, kept in
 * a JSON file so the dev key and users survive restarts. Operations follow the AWS API's
 * contract and raise its error types (ResourceNotFoundException, ...).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const REGION = "us-east-1";
const ACCOUNT = "000000000000";

/** An error as the AWS JSON protocol reports it: `__type` and message. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

interface StoredVersion {
  /** Absent while a rotation has created the AWSPENDING version but not yet its value. */
  secretString?: string;
  createdDate: number;
  stages: string[];
}

interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  /** By version id, a client-supplied string (ClientRequestToken): a Map, so "__proto__" is a plain key. */
  versions: Map<string, StoredVersion>;
  rotationLambdaArn?: string;
  rotationRules?: Record<string, unknown>;
  rotationEnabled?: boolean;
}

/** A secret as the data file holds it (JSON has no Map; Object.fromEntries keeps "__proto__" as a key). */
type SavedSecret = Omit<StoredSecret, "versions"> & { versions: Record<string, StoredVersion> };

export type Json = Record<string, unknown>;

const epoch = () => Date.now() / 1000;

function requireString(input: Json, field: string): string {
  const value = input[field];
  if (typeof value !== "string" || value === "") {
    throw new AwsError("InvalidParameterException", `${field} must be a non-empty string.`);
  }
  return value;
}

function optionalString(input: Json, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new AwsError("InvalidParameterException", `${field} must be a string.`);
  return value;
}

/**
 * The optional ClientRequestToken of a request, which becomes a version id: AWS takes 32 to 64
 * characters of any kind and refuses other lengths.
 */
export function clientRequestToken(input: Json): string | undefined {
  const token = optionalString(input, "ClientRequestToken");
  if (token !== undefined && (token.length < 32 || token.length > 64)) {
    throw new AwsError(
      "ValidationException",
      "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
    );
  }
  return token;
}

/** Secrets with versions and staging labels, optionally persisted to a file. */
export class SecretStore {
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
    if (file !== undefined) {
      try {
        const saved = JSON.parse(readFileSync(file, "utf8")) as { secrets?: Record<string, SavedSecret> };
        for (const secret of Object.values(saved.secrets ?? {})) {
          this.#secrets.set(secret.name, { ...secret, versions: new Map(Object.entries(secret.versions)) });
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }

  #save(): void {
    if (this.#file === undefined) return;
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    const secrets = Object.fromEntries(
      [...this.#secrets].map(([name, secret]) => [name, { ...secret, versions: Object.fromEntries(secret.versions) }]),
    );
    writeFileSync(tmp, JSON.stringify({ secrets }, null, 2), { mode: 0o600 });
    renameSync(tmp, this.#file);
  }

  /** Finds a secret by name or ARN. */
  find(secretId: string): StoredSecret {
    const secret =
      this.#secrets.get(secretId) ?? [...this.#secrets.values()].find((candidate) => candidate.arn === secretId);
    if (secret === undefined) {
      throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    return secret;
  }

  #version(secret: StoredSecret, versionId: string | undefined, stage: string | undefined): [string, StoredVersion] {
    const entries = [...secret.versions];
    const found = entries.find(
      ([id, version]) =>
        (versionId === undefined || id === versionId) && version.stages.includes(stage ?? "AWSCURRENT"),
    );
    const byIdOnly =
      versionId !== undefined && stage === undefined ? entries.find(([id]) => id === versionId) : undefined;
    const result = byIdOnly ?? found;
    if (result === undefined) {
      throw new AwsError(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label or version id.",
      );
    }
    return result;
  }

  /** Moves `stage` onto `versionId`; moving AWSCURRENT also moves AWSPREVIOUS onto the old current. */
  #moveStage(secret: StoredSecret, stage: string, versionId: string): void {
    const previousHolder = [...secret.versions].find(([, v]) => v.stages.includes(stage))?.[0];
    if (previousHolder === versionId) return;
    for (const version of secret.versions.values()) {
      version.stages = version.stages.filter((s) => s !== stage);
    }
    secret.versions.get(versionId)?.stages.push(stage);
    if (stage === "AWSCURRENT" && previousHolder !== undefined) {
      this.#moveStage(secret, "AWSPREVIOUS", previousHolder);
    }
  }

  createSecret(input: Json): Json {
    const name = requireString(input, "Name");
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new AwsError(
        "InvalidParameterException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
      );
    }
    if (this.#secrets.has(name)) {
      throw new AwsError("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
    }
    const now = epoch();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString("hex")}`,
      name,
      createdDate: now,
      lastChangedDate: now,
      versions: new Map(),
      ...(typeof input.Description === "string" ? { description: input.Description } : {}),
    };
    const secretString = optionalString(input, "SecretString");
    let versionId: string | undefined;
    if (secretString !== undefined) {
      versionId = clientRequestToken(input) ?? randomUUID();
      secret.versions.set(versionId, { secretString, createdDate: now, stages: ["AWSCURRENT"] });
    }
    this.#secrets.set(name, secret);
    this.#save();
    return { ARN: secret.arn, Name: name, ...(versionId === undefined ? {} : { VersionId: versionId }) };
  }

  getSecretValue(input: Json): Json {
    const secret = this.find(requireString(input, "SecretId"));
    const [versionId, version] = this.#version(
      secret,
      optionalString(input, "VersionId"),
      optionalString(input, "VersionStage"),
    );
    if (version.secretString === undefined) {
      throw new AwsError(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label or version id.",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      SecretString: version.secretString,
      VersionStages: version.stages,
      CreatedDate: version.createdDate,
    };
  }

  putSecretValue(input: Json): Json {
    const secret = this.find(requireString(input, "SecretId"));
    const secretString = requireString(input, "SecretString");
    const versionId = clientRequestToken(input) ?? randomUUID();
    const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : ["AWSCURRENT"];
    const existing = secret.versions.get(versionId);
    if (existing?.secretString !== undefined) {
      if (existing.secretString !== secretString) {
        throw new AwsError(
          "ResourceExistsException",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      // The same request again is ignored, as AWS does for a repeated ClientRequestToken.
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: existing.stages };
    }
    if (existing !== undefined) existing.secretString = secretString;
    else secret.versions.set(versionId, { secretString, createdDate: epoch(), stages: [] });
    for (const stage of stages) this.#moveStage(secret, stage, versionId);
    secret.lastChangedDate = epoch();
    this.#save();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      VersionStages: secret.versions.get(versionId)?.stages ?? [],
    };
  }

  updateSecretVersionStage(input: Json): Json {
    const secret = this.find(requireString(input, "SecretId"));
    const stage = requireString(input, "VersionStage");
    const moveTo = optionalString(input, "MoveToVersionId");
    const removeFrom = optionalString(input, "RemoveFromVersionId");
    const holder = [...secret.versions].find(([, v]) => v.stages.includes(stage))?.[0];
    if (moveTo !== undefined && !secret.versions.has(moveTo)) {
      throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret version.");
    }
    if (removeFrom !== undefined && !secret.versions.get(removeFrom)?.stages.includes(stage)) {
      throw new AwsError(
        "InvalidParameterException",
        `The staging label ${stage} is not attached to version ${removeFrom}, so it can't be removed from it.`,
      );
    }
    if (stage === "AWSCURRENT" && moveTo === undefined) {
      throw new AwsError(
        "InvalidParameterException",
        "You can't remove the staging label AWSCURRENT from a version; move it to another version instead.",
      );
    }
    if (holder !== undefined && holder !== moveTo && removeFrom !== holder) {
      throw new AwsError(
        "InvalidParameterException",
        `The staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (moveTo !== undefined) {
      this.#moveStage(secret, stage, moveTo);
    } else if (removeFrom !== undefined) {
      const version = secret.versions.get(removeFrom);
      if (version !== undefined) version.stages = version.stages.filter((s) => s !== stage);
    }
    secret.lastChangedDate = epoch();
    this.#save();
    return { ARN: secret.arn, Name: secret.name };
  }

  /** The version AWSPENDING marks while a rotation is unfinished (it is not also AWSCURRENT). */
  unfinishedRotation(secretId: string): string | undefined {
    const secret = this.find(secretId);
    return [...secret.versions].find(
      ([, v]) => v.stages.includes("AWSPENDING") && !v.stages.includes("AWSCURRENT"),
    )?.[0];
  }

  /**
   * The synchronous half of RotateSecret: records the rotation settings (RotationEnabled,
   * RotationLambdaARN, RotationRules) and, as AWS does before it calls the rotation function,
   * creates the version `versionId` with the label AWSPENDING and no value yet (none when
   * `versionId` is undefined: RotateImmediately false only records the settings). Throws
   * InvalidRequestException when the secret has no rotation function and none is given.
   */
  beginRotation(input: Json, versionId: string | undefined): Json {
    const secret = this.find(requireString(input, "SecretId"));
    const lambdaArn = optionalString(input, "RotationLambdaARN") ?? secret.rotationLambdaArn;
    if (lambdaArn === undefined) {
      throw new AwsError("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.");
    }
    const rules = input.RotationRules;
    if (rules !== undefined && (typeof rules !== "object" || rules === null || Array.isArray(rules))) {
      throw new AwsError("InvalidParameterException", "RotationRules must be an object.");
    }
    secret.rotationLambdaArn = lambdaArn;
    if (rules !== undefined) secret.rotationRules = rules as Record<string, unknown>;
    secret.rotationEnabled = true;
    if (versionId === undefined) {
      this.#save();
      return { ARN: secret.arn, Name: secret.name };
    }
    if (!secret.versions.has(versionId)) secret.versions.set(versionId, { createdDate: epoch(), stages: [] });
    this.#moveStage(secret, "AWSPENDING", versionId);
    secret.lastChangedDate = epoch();
    this.#save();
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  describeSecret(input: Json): Json {
    const secret = this.find(requireString(input, "SecretId"));
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description === undefined ? {} : { Description: secret.description }),
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      RotationEnabled: secret.rotationEnabled ?? false,
      ...(secret.rotationLambdaArn === undefined ? {} : { RotationLambdaARN: secret.rotationLambdaArn }),
      ...(secret.rotationRules === undefined ? {} : { RotationRules: secret.rotationRules }),
      // Versions without a label are deprecated; AWS leaves them out.
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions].filter(([, v]) => v.stages.length > 0).map(([id, v]) => [id, v.stages]),
      ),
    };
  }
}
