/**
 * Builds the deployment exactly as `npm run package` does (osls package, serverless-esbuild) into a
 * private folder, and reads back what would ship: each function's bundle out of its zip, and the
 * esbuild options and functions' environment as osls resolved them from serverless.yml.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import JSZip from "jszip";

export interface Packaged {
  /** Each function's bundle by function name: its path inside the zip, and its code. */
  readonly bundles: Record<string, { readonly file: string; readonly code: Buffer }>;
  /** custom.esbuild of serverless.yml, variables resolved. */
  readonly esbuild: Record<string, unknown>;
  /** provider.environment of serverless.yml, variables resolved. */
  readonly environment: Record<string, string>;
}

/** Runs `osls package` into packageDir (its output goes to stderr) and reads the result. */
export async function packageService(root: string, packageDir: string): Promise<Packaged> {
  // A serverless-esbuild work folder of its own, so a bench never collides with a test's build.
  const workFolder = `.esbuild-bench-${process.pid}`;
  try {
    execFileSync(
      process.execPath,
      ["node_modules/osls/bin/serverless.js", "package", "--stage", "dev", "--package", packageDir],
      {
        cwd: root,
        stdio: ["ignore", 2, 2],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ESBUILD_WORK_FOLDER: workFolder },
        timeout: 120_000,
      },
    );
  } finally {
    rmSync(join(root, workFolder), { recursive: true, force: true });
  }
  const state = JSON.parse(readFileSync(join(packageDir, "serverless-state.json"), "utf8")) as {
    service: {
      custom: { esbuild: Record<string, unknown> };
      provider: { environment?: Record<string, string> };
      functions: Record<string, { handler: string }>;
    };
  };
  const bundles: Record<string, { file: string; code: Buffer }> = {};
  for (const [name, { handler }] of Object.entries(state.service.functions)) {
    // "functions/rotate-signing-key.handler" ships as functions/rotate-signing-key.mjs.
    const file = `${handler.slice(0, handler.lastIndexOf("."))}.mjs`;
    const zip = await JSZip.loadAsync(readFileSync(join(packageDir, `${name}.zip`)));
    const code = await zip.file(file)?.async("nodebuffer");
    if (code === undefined) throw new Error(`${name}.zip has no ${file}`);
    bundles[name] = { file, code };
  }
  return {
    bundles,
    esbuild: state.service.custom.esbuild,
    environment: state.service.provider.environment ?? {},
  };
}
