/**
 * One `osls package` for every package test: the globalSetup of the "package" project in
 * vitest.config.ts packages the service as `npm run package` does (no AWS credentials), with a bare
 * environment plus PACKAGE_ENV, into a temporary folder; the tests read it through packagedFolder().
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";

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
};

export default async function packageOnce(project: TestProject): Promise<() => void> {
  const folder = mkdtempSync(join(tmpdir(), "sls-package-"));
  // A serverless-esbuild work folder of its own, so a parallel `npm start` never shares a build.
  const workFolder = `.esbuild-${basename(folder)}`;
  try {
    await promisify(execFile)(
      process.execPath,
      ["node_modules/osls/bin/serverless.js", "package", "--stage", "dev", "--package", folder],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ESBUILD_WORK_FOLDER: workFolder,
          SLS_TELEMETRY_DISABLED: "1",
          ...PACKAGE_ENV,
        },
        timeout: 110_000,
      },
    );
  } finally {
    rmSync(workFolder, { recursive: true, force: true });
  }
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
