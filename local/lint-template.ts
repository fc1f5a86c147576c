/**
 * The last step of `npm run check`: packages the service (`osls package`, no AWS credentials) into a
 * temporary folder and runs cfn-lint on both CloudFormation templates. Passes only with no finding at
 * all: moto's CloudFormation runs cfn-lint too and refuses a stack over a warning. When cfn-lint is
 * not on PATH it says it skipped.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageInto } from "./package-service.ts";

interface Finding {
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

const TEMPLATES = ["cloudformation-template-create-stack.json", "cloudformation-template-update-stack.json"];

function lint(file: string): string[] {
  const run = spawnSync("cfn-lint", ["--format", "json", "--", file], { encoding: "utf8" });
  if (run.error !== undefined) throw run.error;
  // cfn-lint exits non-zero whenever it finds something; the JSON on stdout says what.
  const findings = JSON.parse(run.stdout || "[]") as Finding[];
  return findings.map((finding) => `${finding.Rule.Id} ${finding.Location.Path.join("/")}: ${finding.Message}`);
}

async function main(): Promise<number> {
  const probe = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined) {
    console.log("cfn-lint is not on PATH: skipped linting the packaged CloudFormation template");
    return 0;
  }
  const folder = mkdtempSync(join(tmpdir(), "sls-lint-"));
  try {
    await packageInto(folder);
    const problems = TEMPLATES.flatMap((name) => lint(join(folder, name)).map((line) => `${name}: ${line}`));
    if (problems.length > 0) {
      console.error(`cfn-lint (${probe.stdout.trim()}) found ${problems.length} problem(s):`);
      for (const line of problems) console.error(`  ${line}`);
      return 1;
    }
    console.log(`cfn-lint (${probe.stdout.trim()}): the packaged templates are clean`);
    return 0;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

process.exitCode = await main();
