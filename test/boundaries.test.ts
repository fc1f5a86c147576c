/**
 * The direction of the house: the core (shared/core) imports neither HTTP nor AWS; the HTTP edge
 * (shared/http) and the AWS adapters (shared/aws) import the core and not each other; no module
 * of shared/ is part of an import cycle; a file name means one thing; a test file that mocks a
 * module has a process of its own. Read from the sources'
 * import statements (type imports included), so a violation fails here before it ships.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, parse } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

const sources = files("shared").filter((file) => file.endsWith(".ts"));

/** What a source file imports: relative paths resolved from the repository root, packages as named. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"|import\("([^"]+)"\)/g)].map(
    (match) => String(match[1] ?? match[2]),
  );
  return specifiers.map((specifier) =>
    specifier.startsWith(".") ? normalize(join(dirname(file), specifier)) : specifier,
  );
}

const graph = new Map(sources.map((file) => [file, importsOf(file)]));
const layerOf = (path: string) => /^shared\/(core|http|aws)\//.exec(path)?.[1];

describe("layers", () => {
  it.each([
    // The WebAuthn library is the HTTP edge's (shared/http/webauthn.ts), behind the core's port.
    [
      "core",
      [/^shared\/(http|aws)\//, /^aws-lambda$/, /^@aws-sdk\//, /^@smithy\//, /^node:http/, /^@simplewebauthn\//],
    ],
    ["http", [/^shared\/aws\//, /^@aws-sdk\//, /^@smithy\//, /^shared\/runtime/]],
    ["aws", [/^shared\/http\//, /^aws-lambda$/, /^shared\/runtime/, /^@simplewebauthn\//]],
  ] as const)("shared/%s imports nothing it must not", (layer, forbidden) => {
    const offending = [...graph].flatMap(([file, imports]) =>
      layerOf(file) === layer
        ? imports
            .filter((target) => forbidden.some((rule) => rule.test(target)))
            .map((target) => `${file} -> ${target}`)
        : [],
    );

    expect([...graph.keys()].filter((file) => layerOf(file) === layer).length).toBeGreaterThan(2);
    expect(offending).toEqual([]);
  });

  it("has no import cycle among the modules of shared/", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);

    expect(cycles).toEqual([]);
  });

  it("would see a cycle: the check above reads imports, type imports included", () => {
    expect(graph.get("shared/http/handler.ts")).toContain("shared/http/cross-site.ts");
    expect(graph.get("shared/core/session.ts")).toContain("shared/core/ports.ts");
  });

  it("bundles the core's token module without a single @aws-sdk or @smithy file", async () => {
    const result = await build({
      entryPoints: ["shared/core/session.ts"],
      bundle: true,
      write: false,
      metafile: true,
      logLevel: "silent",
      format: "esm",
      platform: "node",
      target: "node20",
    });
    const inputs = Object.keys(result.metafile.inputs);

    expect(inputs.some((input) => input.includes("node_modules/jose/"))).toBe(true);
    expect(inputs.filter((input) => /node_modules\/@(aws-sdk|smithy)\//.test(input))).toEqual([]);
  });
});

describe("bench/", () => {
  it("imports nothing from test/: the bench measures what ships, with its own helpers", () => {
    const offending = files("bench")
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => target.startsWith("test/"))
          .map((t) => `${file} -> ${t}`),
      );

    expect(files("bench").length).toBeGreaterThan(3);
    expect(offending).toEqual([]);
  });
});

describe("file names", () => {
  it("mean one thing: no name appears twice among functions/, shared/ and local/", () => {
    const where = new Map<string, string[]>();
    for (const file of ["functions", "shared", "local"].flatMap(files)) {
      const name = parse(file).name; // secret-store.ts and secret-store.json are one name
      where.set(name, [...(where.get(name) ?? []), file]);
    }

    expect(where.size).toBeGreaterThan(30);
    expect([...where.values()].filter((paths) => paths.length > 1)).toEqual([]);
  });
});

describe("test files", () => {
  it("that mock a module run in a process of their own (OWN_PROCESS in vitest.config.ts)", () => {
    const config = readFileSync("vitest.config.ts", "utf8");
    const ownProcess = /const OWN_PROCESS = \[([^\]]*)\]/.exec(config)?.[1] ?? "";
    const mocking = files("test").filter(
      (file) => file.endsWith(".test.ts") && /\bvi\.mock\(/.test(readFileSync(file, "utf8")),
    );

    expect(mocking.length).toBeGreaterThan(0);
    expect(mocking.filter((file) => !ownProcess.includes(`"${file}"`))).toEqual([]);
  });

  it("set the environment only through newContainerEnvironment, so no file's settings reach the next", () => {
    const setting = /process\.env(\.\w+|\[[^\]]+\])?\s*=[^=]|Object\.assign\(process\.env/;
    const offending = files("test").filter(
      (file) => file.endsWith(".ts") && file !== "test/boundaries.test.ts" && setting.test(readFileSync(file, "utf8")),
    );

    expect(setting.test("process.env.STAGE = 'x'")).toBe(true);
    expect(offending).toEqual(["test/support/in-process.ts"]);
  });
});
