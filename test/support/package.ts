/**
 * Runs `osls package` as `npm run package` does (no AWS credentials needed) for the package tests,
 * with a bare environment plus the settings a test gives, and reads back the template.
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";

/** Packages into `folder` (a fresh temporary one) and returns the CloudFormation template's resources. */
export async function packageInto<R>(folder: string, env: Record<string, string> = {}): Promise<Record<string, R>> {
  // A serverless-esbuild work folder of its own, so parallel test files never share a build.
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
          ...env,
        },
        timeout: 110_000,
      },
    );
  } finally {
    rmSync(workFolder, { recursive: true, force: true });
  }
  return JSON.parse(readFileSync(join(folder, "cloudformation-template-update-stack.json"), "utf8")).Resources;
}
