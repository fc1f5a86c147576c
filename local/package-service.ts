/**
 * The one way this repository runs `osls package` (as `npm run package` does, no AWS credentials):
 * into a given folder, with a bare environment plus `env`, and a serverless-esbuild work folder of
 * its own so that parallel builds (a test, the bench, `npm start`) never share one. Used by
 * `npm run check` (lint-template.ts), the package tests and the bench.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { basename } from "node:path";
import { promisify } from "node:util";

/** Packages the service into `folder`; rejects with osls's output when it fails. */
export async function packageInto(folder: string, env: Record<string, string> = {}): Promise<void> {
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
        timeout: 120_000,
      },
    );
  } finally {
    rmSync(workFolder, { recursive: true, force: true });
  }
}
