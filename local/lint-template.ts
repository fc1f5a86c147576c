/**
 * The last step of `npm run check`: packages the service (`osls package`, no AWS credentials) into a
 * temporary folder and runs cfn-lint on both CloudFormation templates. Passes only with no error and
 * no warning, except W3005 (a DependsOn that a Ref already implies) on resources the framework
 * generates, which serverless.yml cannot change. When cfn-lint is not on PATH it says it skipped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Finding {
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[]; readonly Start: { readonly LineNumber: number } };
}

const TEMPLATES = ["cloudformation-template-create-stack.json", "cloudformation-template-update-stack.json"];

function lint(file: string, ownResources: ReadonlySet<string>): string[] {
  const run = spawnSync("cfn-lint", ["--format", "json", "--", file], { encoding: "utf8" });
  if (run.error !== undefined) throw run.error;
  // cfn-lint exits non-zero whenever it finds something; the JSON on stdout says what.
  const findings = JSON.parse(run.stdout || "[]") as Finding[];
  return findings
    .filter((finding) => {
      const [section, resource] = finding.Location.Path;
      const generated = section === "Resources" && typeof resource === "string" && !ownResources.has(resource);
      return !(finding.Rule.Id === "W3005" && generated);
    })
    .map((finding) => `${finding.Rule.Id} ${finding.Location.Path.join("/")}: ${finding.Message}`);
}

function main(): number {
  const probe = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined) {
    console.log("cfn-lint is not on PATH: skipped linting the packaged CloudFormation template");
    return 0;
  }
  const folder = mkdtempSync(join(tmpdir(), "sls-lint-"));
  const workFolder = `.esbuild-lint-${process.pid}`;
  try {
    execFileSync(
      process.execPath,
      ["node_modules/osls/bin/serverless.js", "package", "--stage", "dev", "--package", folder],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ESBUILD_WORK_FOLDER: workFolder,
          SLS_TELEMETRY_DISABLED: "1",
        },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    // What serverless.yml declares itself (resources.Resources): a finding there is ours to fix.
    const state = JSON.parse(readFileSync(join(folder, "serverless-state.json"), "utf8"));
    const own = new Set(Object.keys(state.service?.resources?.Resources ?? {}));
    const problems = TEMPLATES.flatMap((name) => lint(join(folder, name), own).map((line) => `${name}: ${line}`));
    if (problems.length > 0) {
      console.error(`cfn-lint (${probe.stdout.trim()}) found ${problems.length} problem(s):`);
      for (const line of problems) console.error(`  ${line}`);
      return 1;
    }
    console.log(`cfn-lint (${probe.stdout.trim()}): the packaged templates are clean`);
    return 0;
  } finally {
    rmSync(folder, { recursive: true, force: true });
    rmSync(workFolder, { recursive: true, force: true });
  }
}

process.exitCode = main();
