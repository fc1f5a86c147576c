/**
 * One serverless-offline service with the default configuration for every wiring test that needs
 * no setting of its own: the globalSetup of the "wiring" project in vitest.config.ts starts it
 * once (startService) without waiting for it, the project's setup file (shared-service-ready.ts)
 * waits for it, and each test file reaches it through sharedService(). Files share it, so their
 * tests make users of their own and change nothing others read (no faults, no rotation).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { localDynamoClient } from "../../local/sdk-env.ts";
import { SessionTables } from "../../shared/aws/session-tables.ts";
import { type Config, loadConfig } from "../../shared/core/config.ts";
import { awaitBackground, backgroundResult, inBackground } from "./background.ts";
import { parseLogs, type Service, startService } from "./service.ts";
import { KEY_SECRET, type SecretsHolder } from "./tokens.ts";

interface SharedServiceInfo {
  baseUrl: string;
  lambdaUrl: string;
  offlineUrl: string;
  secretsPort: number;
  dynamodbUrl: string;
  dynamodbPort: number;
  /** The dev key's AWSCURRENT version: its id and secret string. */
  key: { versionId: string; secretString: string };
  outputFile: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the shared service's SharedServiceInfo is written once it is up. */
    sharedServiceMarker: string;
  }
}

export default function startSharedService(project: TestProject): () => Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "shared-offline-"));
  const outputFile = join(folder, "output.log");
  const marker = join(folder, "service.json");
  let service: Service | undefined;
  const started = inBackground(marker, async (): Promise<SharedServiceInfo> => {
    service = await startService({ outputFile });
    const value = service.secrets.store.getSecretValue({ SecretId: KEY_SECRET, VersionStage: "AWSCURRENT" });
    return {
      baseUrl: service.baseUrl,
      lambdaUrl: service.lambdaUrl,
      offlineUrl: service.offlineUrl,
      secretsPort: service.secrets.port,
      dynamodbUrl: service.dynamodb.url,
      dynamodbPort: service.dynamodb.port,
      key: { versionId: String(value.VersionId), secretString: String(value.SecretString) },
      outputFile,
    };
  });
  project.provide("sharedServiceMarker", marker);
  return async () => {
    await started;
    await service?.stop();
    rmSync(folder, { recursive: true, force: true });
  };
}

/** Waits until the shared service is up (the wiring project's setup file). */
export async function sharedServiceReady(): Promise<void> {
  await awaitBackground<SharedServiceInfo>(inject("sharedServiceMarker"));
}

/** The shared service as a test file sees it: what startService returns, less what would touch others. */
export interface SharedService {
  readonly baseUrl: string;
  readonly lambdaUrl: string;
  readonly offlineUrl: string;
  /** The key for devKey(), and the endpoint's port for the CLI. */
  readonly secrets: SecretsHolder & { readonly port: number };
  readonly dynamodb: { readonly url: string; readonly port: number };
  readonly store: SessionTables;
  readonly config: Config;
  /** Every line serverless-offline and the handlers printed so far, every file's. */
  readonly output: string[];
  logs(from?: number): Record<string, unknown>[];
}

export function sharedService(): SharedService {
  const info = backgroundResult<SharedServiceInfo>(inject("sharedServiceMarker"));
  const config = loadConfig({ STAGE: "dev" });
  const output = () =>
    readFileSync(info.outputFile, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
  return {
    baseUrl: info.baseUrl,
    lambdaUrl: info.lambdaUrl,
    offlineUrl: info.offlineUrl,
    secrets: {
      port: info.secretsPort,
      store: {
        getSecretValue: (input) => {
          if (input.SecretId !== KEY_SECRET || (input.VersionStage ?? "AWSCURRENT") !== "AWSCURRENT") {
            throw new Error(`the shared service holds only ${KEY_SECRET} AWSCURRENT`);
          }
          return { VersionId: info.key.versionId, SecretString: info.key.secretString };
        },
      },
    },
    dynamodb: { url: info.dynamodbUrl, port: info.dynamodbPort },
    store: new SessionTables(localDynamoClient(info.dynamodbUrl), config),
    config,
    get output() {
      return output();
    },
    logs: (from = 0) => parseLogs(output().slice(from)),
  };
}
