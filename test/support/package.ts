/**
 * One `osls package` for every package test: the globalSetup of the "package" project in
 * vitest.config.ts packages the service as `npm run package` does (no AWS credentials), with a bare
 * environment plus PACKAGE_ENV, into a temporary folder, without waiting for it; the project's
 * setup file (package-ready.ts) waits for it; the tests read it through packagedFolder().
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { packageInto } from "../../local/package-service.ts";
import { awaitBackground, inBackground } from "./background.ts";

declare module "vitest" {
  export interface ProvidedContext {
    packageFolder: string;
    /** Written once the package run has ended. */
    packageMarker: string;
  }
}

/** The settings of the one package run: every other setting keeps its default. */
export const PACKAGE_ENV = {
  KEY_ROTATION_DAYS: "7",
  ALLOWED_ORIGINS: "https://app.example.com, https://admin.example.com",
  SESSION_COOKIE_NAME: "__Host-token",
  ALARM_SIGNIN_FAILURES: "250",
  ALARM_LOCKOUTS: "40",
  ALARM_EMAIL: "ops@example.com",
};

export default function packageOnce(project: TestProject): () => Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "sls-package-"));
  const folder = join(root, basename(root));
  const marker = join(root, "packaged.json");
  const packaged = inBackground(marker, () => packageInto(folder, PACKAGE_ENV));
  project.provide("packageFolder", folder);
  project.provide("packageMarker", marker);
  return async () => {
    await packaged;
    rmSync(root, { recursive: true, force: true });
  };
}

/** Waits until the package run has ended (the package project's setup file). */
export async function packaged(): Promise<void> {
  await awaitBackground(inject("packageMarker"));
}

/** The folder the package run wrote: the zips, and the CloudFormation templates. */
export function packagedFolder(): string {
  return inject("packageFolder");
}

/** The resources of the update template, the one `osls deploy` sends to CloudFormation. */
export function packagedResources<R>(): Record<string, R> {
  const template = readFileSync(join(packagedFolder(), "cloudformation-template-update-stack.json"), "utf8");
  return JSON.parse(template).Resources;
}
