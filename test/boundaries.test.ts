/**
 * The module boundaries the layout promises: the token module reaches no AWS SDK when bundled on
 * its own, and a file name means one thing across functions/, shared/ and local/.
 */
import { readdirSync } from "node:fs";
import { parse } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/** The input files esbuild reaches from one entry point, bundled as the functions are. */
async function bundleInputs(entryPoint: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    metafile: true,
    logLevel: "silent",
    format: "esm",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
  });
  return Object.keys(result.metafile.inputs);
}

const awsSdk = (inputs: string[]) => inputs.filter((input) => /node_modules\/@(aws-sdk|smithy)\//.test(input));

describe("shared/token.ts", () => {
  it("bundles alone without a single @aws-sdk or @smithy file", async () => {
    const inputs = await bundleInputs("shared/token.ts");

    expect(inputs).toContain("shared/token.ts");
    expect(inputs.some((input) => input.includes("node_modules/jose/"))).toBe(true);
    expect(awsSdk(inputs)).toEqual([]);
  });

  it("differs from shared/runtime.ts, whose bundle the same check finds full of the SDK", async () => {
    expect(awsSdk(await bundleInputs("shared/runtime.ts")).length).toBeGreaterThan(50);
  });
});

describe("file names", () => {
  it("mean one thing: no name appears in two of functions/, shared/ and local/", () => {
    const folders = ["functions", "shared", "local"];
    const where = new Map<string, string[]>();
    for (const folder of folders) {
      for (const file of readdirSync(folder)) {
        const name = parse(file).name; // secret-store.ts and secret-store.json are one name
        where.set(name, [...(where.get(name) ?? []), `${folder}/${file}`]);
      }
    }

    expect(where.size).toBeGreaterThan(20);
    expect([...where.values()].filter((paths) => paths.length > 1)).toEqual([]);
  });
});
