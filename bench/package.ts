/**
 * Builds the deployment exactly as `npm run package` does (osls package, serverless-esbuild) into a
 * private folder, and reads back what would ship: each function's zip entries, the esbuild options
 * and the functions' environment as osls resolved them.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";

export interface PackagedFunction {
  readonly name: string;
  /** The bundle's path inside the zip, from the function's handler. */
  readonly file: string;
  /** Size of the zip Lambda receives. */
  readonly zipBytes: number;
  /** Every file in the zip, by path. */
  readonly files: ReadonlyMap<string, Buffer>;
}

export interface Packaged {
  readonly functions: readonly PackagedFunction[];
  /** custom.esbuild of serverless.yml, variables resolved. */
  readonly esbuild: Record<string, unknown>;
  /** provider.environment of serverless.yml, variables resolved. */
  readonly environment: Record<string, string>;
  readonly seconds: number;
}

/** Runs `osls package` into packageDir, with a serverless-esbuild work folder of its own. */
export async function packageService(root: string, packageDir: string, workFolder: string): Promise<Packaged> {
  const started = performance.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["node_modules/osls/bin/serverless.js", "package", "--stage", "dev", "--package", packageDir],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ESBUILD_WORK_FOLDER: workFolder },
      },
    );
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  rmSync(join(root, workFolder), { recursive: true, force: true });
  if (code !== 0) throw new Error(`osls package failed (${code}):\n${output.join("")}`);

  const state = JSON.parse(readFileSync(join(packageDir, "serverless-state.json"), "utf8")) as {
    service: {
      custom: { esbuild: Record<string, unknown> };
      provider: { environment?: Record<string, string> };
      functions: Record<string, { handler: string }>;
    };
  };
  const functions = Object.entries(state.service.functions).map(([name, { handler }]) => {
    const zip = readFileSync(join(packageDir, `${name}.zip`));
    // "functions/rotate-signing-key.handler" is bundled as functions/rotate-signing-key.mjs.
    const file = `${handler.slice(0, handler.lastIndexOf("."))}.mjs`;
    return { name, file, zipBytes: zip.length, files: readZip(zip) };
  });
  return {
    functions,
    esbuild: state.service.custom.esbuild,
    environment: state.service.provider.environment ?? {},
    seconds: (performance.now() - started) / 1000,
  };
}

/** The files of a zip archive (stored or deflated entries, which is all osls writes). */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error("not a zip archive");
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith("/")) files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

// Options of serverless-esbuild that esbuild itself understands; the rest (packager, exclude,
// outputWorkFolder, ...) are the plugin's own.
const ESBUILD_KEYS = [
  "bundle",
  "minify",
  "minifyWhitespace",
  "minifyIdentifiers",
  "minifySyntax",
  "sourcemap",
  "sourcesContent",
  "format",
  "platform",
  "target",
  "mainFields",
  "conditions",
  "banner",
  "footer",
  "alias",
  "define",
  "treeShaking",
  "legalComments",
  "keepNames",
  "drop",
  "charset",
  "external",
] as const;

/** The esbuild options of serverless.yml, as esbuild's build() takes them. */
export function esbuildOptionsOf(custom: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of ESBUILD_KEYS) if (custom[key] !== undefined) options[key] = custom[key];
  const extension = typeof custom.outputFileExtension === "string" ? custom.outputFileExtension : ".js";
  options.outExtension = { ".js": extension };
  return options;
}
