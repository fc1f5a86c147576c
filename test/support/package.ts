/**
 * One `osls package` for every package test: the globalSetup of the "package" project in
 * vitest.config.ts packages the service as `npm run package` does (no AWS credentials), with a bare
 * environment plus PACKAGE_ENV, into a temporary folder; the tests read it through packagedFolder().
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { packageInto } from "../../local/package-service.ts";

declare module "vitest" {
  export interface ProvidedContext {
    packageFolder: string;
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

export default async function packageOnce(project: TestProject): Promise<() => void> {
  const folder = mkdtempSync(join(tmpdir(), "sls-package-"));
  await packageInto(folder, PACKAGE_ENV);
  project.provide("packageFolder", folder);
  return () => rmSync(folder, { recursive: true, force: true });
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
