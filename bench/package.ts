/**
 * Builds the deployment exactly as `npm run package` does (osls package, serverless-esbuild) into a
 * private folder, and reads back what would ship: each function's bundle out of its zip, and the
 * esbuild options and functions' environment as osls resolved them from serverless.yml.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import JSZip from "jszip";
import { packageInto } from "../local/package-service.ts";

export interface Packaged {
  /** Each function's bundle by function name: its path inside the zip, and its code. */
  readonly bundles: Record<string, { readonly file: string; readonly code: Buffer }>;
  /** custom.esbuild of serverless.yml, variables resolved. */
  readonly esbuild: Record<string, unknown>;
  /** provider.environment of serverless.yml, variables resolved. */
  readonly environment: Record<string, string>;
}

/** Runs `osls package` into packageDir and reads the result. */
export async function packageService(packageDir: string): Promise<Packaged> {
  await packageInto(packageDir);
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
