/**
 * `npm run bench`: one run that measures bundle sizes, module load times, warm costs beside their
 * floors, and secret fetches, and prints a table (or, with --json, one JSON object). Every ratio is
 * taken between figures of this run, because the machine is shared and noisy.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { esbuildOptionsOf, packageService } from "./package.ts";
import { type BenchResult, median, renderTable } from "./table.ts";
import type { WarmResults } from "./warm.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asJson = process.argv.includes("--json");
// `npm run bench -- --table <result.json>` prints the table of a saved --json run, measuring nothing.
const saved = process.argv.indexOf("--table");
if (saved >= 0) {
  const file = process.argv[saved + 1];
  if (file === undefined) throw new Error("--table needs the path of a saved --json result");
  process.stdout.write(`${renderTable(JSON.parse(readFileSync(file, "utf8")) as BenchResult)}\n`);
  process.exit(0);
}
const LOAD_RUNS = 21;
const WARM_ROUNDS = 15;
/** 330 KB, read conservatively as 330,000 bytes. */
const KEY_BUNDLE_LIMIT = 330_000;
const LOGOUT_LIMIT = 25_000;
const KEY_FUNCTIONS = ["signin", "welcome", "refresh"];

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Fake credentials and a region: what Lambda puts in every function's environment. */
const AWS_ENV = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench" };

/** Milliseconds one fresh Node process spends importing `file`. */
function loadOnce(file: string, env: Record<string, string | undefined>): Promise<number> {
  const script =
    "const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, file], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`loading ${file} failed (${code}): ${err}`));
    });
  });
}

/**
 * Runs bench/warm.ts in a child whose stdout, where the handlers write their log lines, is a file
 * (on tmpfs where there is one): each line is still built and written with a syscall, inside the
 * measured cost. A pipe, as on Lambda, was tried: on this VM every line then also pays for waking
 * the reading process (welcome doubled, CPU time included), a cost of the reader, not of the code.
 */
function runWarm(
  bundleDir: string,
  logFile: string,
  env: Record<string, string | undefined>,
): Promise<WarmResults & { log_lines: number; log_mentions_a_token: boolean }> {
  const out = openSync(logFile, "w");
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "bench/warm.ts"), bundleDir, String(WARM_ROUNDS)],
      { cwd: root, stdio: ["ignore", out, "pipe", "ipc"], env },
    );
    closeSync(out);
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    let results: WarmResults | undefined;
    child.on("message", (message) => {
      results = message as WarmResults;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0 || results === undefined) {
        reject(new Error(`bench/warm.ts failed (${code}):\n${err}`));
        return;
      }
      const log = readFileSync(logFile, "utf8");
      const lines = log.split("\n").filter((line) => line !== "");
      // A JWT starts with the base64url of '{"': no log line may carry one.
      resolve({ ...results, log_lines: lines.length, log_mentions_a_token: log.includes("eyJ") });
    });
  });
}

const work = mkdtempSync(join(tmpdir(), "sjwt-bench-"));
// Handler log lines (some 35 MB) go to memory-backed storage, so disk writeback cannot stall them.
const logDir = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/sjwt-bench-") : work;
const workFolder = `.esbuild-bench-${process.pid}`;
try {
  progress("packaging with osls (serverless-esbuild)...");
  const packaged = await packageService(root, join(work, "package"), workFolder);

  // What ships, unpacked as Lambda unpacks it.
  const bundleDir = join(work, "task");
  const bundle_bytes: Record<string, number> = {};
  const bundle_gzip_bytes: Record<string, number> = {};
  const zip_bytes: Record<string, number> = {};
  const shipped_files: Record<string, string[]> = {};
  for (const fn of packaged.functions) {
    zip_bytes[fn.name] = fn.zipBytes;
    shipped_files[fn.name] = [...fn.files.keys()];
    for (const [path, content] of fn.files) {
      mkdirSync(dirname(join(bundleDir, path)), { recursive: true });
      writeFileSync(join(bundleDir, path), content);
    }
    const code = fn.files.get(fn.file);
    if (code === undefined) throw new Error(`${fn.name}.zip has no ${fn.file}`);
    bundle_bytes[fn.name] = code.length;
    bundle_gzip_bytes[fn.name] = gzipSync(code).length;
  }

  // The yardsticks, built beside them: an empty module, and jose + a Secrets Manager client with the
  // options of serverless.yml; for reference, the same without serverless.yml's `alias` (the SDK's
  // whole default credential chain), which the targets do not use.
  const options = esbuildOptionsOf(packaged.esbuild);
  const { alias: _alias, ...withoutAlias } = options;
  writeFileSync(join(bundleDir, "empty.mjs"), "");
  for (const [name, buildOptions] of [
    ["minimal", options],
    ["minimal-default-chain", withoutAlias],
  ] as const) {
    await build({
      ...buildOptions,
      absWorkingDir: root,
      entryPoints: { [name]: join(root, "bench/minimal.ts") },
      outdir: bundleDir,
      logLevel: "silent",
    });
  }
  bundle_bytes.minimal_jose_sdk = statSync(join(bundleDir, "minimal.mjs")).size;
  bundle_bytes.minimal_jose_sdk_default_chain = statSync(join(bundleDir, "minimal-default-chain.mjs")).size;

  progress(`module load times: ${LOAD_RUNS} fresh processes per bundle, interleaved...`);
  // The functions' environment as osls resolved it (NODE_OPTIONS included), as on Lambda.
  const lambdaEnv = { PATH: process.env.PATH, ...packaged.environment, ...AWS_ENV };
  const loadTargets: Record<string, string> = { empty: join(bundleDir, "empty.mjs") };
  loadTargets.minimal_jose_sdk = join(bundleDir, "minimal.mjs");
  loadTargets.minimal_jose_sdk_default_chain = join(bundleDir, "minimal-default-chain.mjs");
  for (const fn of packaged.functions) loadTargets[fn.name] = join(bundleDir, fn.file);
  const loadSamples: Record<string, number[]> = Object.fromEntries(Object.keys(loadTargets).map((n) => [n, []]));
  for (let run = 0; run < LOAD_RUNS; run += 1) {
    for (const [name, file] of Object.entries(loadTargets)) loadSamples[name]?.push(await loadOnce(file, lambdaEnv));
  }
  const emptyMs = median(loadSamples.empty ?? []);
  const load_ms: Record<string, number> = { empty: round(emptyMs, 2) };
  for (const [name, samples] of Object.entries(loadSamples)) {
    if (name !== "empty") load_ms[name] = round(median(samples) - emptyMs, 2);
  }

  progress(`warm costs (${WARM_ROUNDS} interleaved rounds) and secret fetches...`);
  const warm = await runWarm(bundleDir, join(logDir, "handler-logs.jsonl"), {
    ...process.env,
    ...packaged.environment,
    ...AWS_ENV,
  });
  const us = warm.us;
  const welcomeUs = us.welcome_warm ?? Number.NaN;
  const joseUs = us.jose_verify_floor ?? Number.NaN;
  const tutorialUs = us.tutorial_verify ?? Number.NaN;
  const minimalLoad = load_ms.minimal_jose_sdk ?? Number.NaN;

  const welcome_over_jose = welcomeUs / joseUs;
  const tutorial_over_welcome = tutorialUs / welcomeUs;
  const load_over_minimal = Object.fromEntries(
    KEY_FUNCTIONS.map((name) => [name, round((load_ms[name] ?? Number.NaN) / minimalLoad, 2)]),
  );
  const logoutBytes = bundle_bytes.logout ?? Number.NaN;
  const logoutCode = packaged.functions.find((fn) => fn.name === "logout")?.files.get("functions/logout.mjs");
  const logoutLean =
    logoutCode !== undefined && !/SecretsManager|JWSSignatureVerificationFailed/.test(logoutCode.toString());

  const targets = {
    welcome_within_1_3x_jose: welcome_over_jose <= 1.3,
    welcome_6x_faster_than_tutorial: tutorial_over_welcome >= 6,
    key_bundles_within_330kb: KEY_FUNCTIONS.every(
      (name) => (bundle_bytes[name] ?? Number.POSITIVE_INFINITY) <= KEY_BUNDLE_LIMIT,
    ),
    logout_within_25kb_without_sdk_or_jose: logoutBytes <= LOGOUT_LIMIT && logoutLean,
    load_within_1_2x_minimal: Object.values(load_over_minimal).every((ratio) => ratio <= 1.2),
    at_most_1_fetch_per_container_per_cache_age:
      warm.secret_fetches_per_1000_warm === 0 && warm.secret_fetches_first_1000_new_container <= 1,
    cold_requests_share_one_fetch: warm.secret_fetches_50_concurrent_cold === 1,
    no_per_request_key_import: warm.key_imports_per_1000_warm === 0 && warm.key_imports_50_concurrent_cold === 1,
    every_call_logged_without_a_token: warm.log_lines >= warm.handler_calls && !warm.log_mentions_a_token,
  };

  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.trim(), platform: process.platform },
    welcome_warm_us: round(welcomeUs),
    jose_verify_floor_us: round(joseUs),
    raw_hmac_verify_us: round(us.raw_hmac_verify ?? Number.NaN, 2),
    tutorial_verify_us: round(tutorialUs),
    refresh_in_window_warm_us: round(us.refresh_in_window_warm ?? Number.NaN),
    refresh_too_early_warm_us: round(us.refresh_too_early_warm ?? Number.NaN),
    signin_wrong_password_warm_us: round(us.signin_wrong_password_warm ?? Number.NaN, 0),
    logout_warm_us: round(us.logout_warm ?? Number.NaN, 2),
    welcome_over_jose_floor: round(welcome_over_jose, 2),
    tutorial_over_welcome: round(tutorial_over_welcome, 2),
    welcome_over_jose_floor_paired: round(warm.paired.welcome_over_jose_floor ?? Number.NaN, 2),
    tutorial_over_welcome_paired: round(warm.paired.tutorial_over_welcome ?? Number.NaN, 2),
    welcome_over_jose_floor_cpu: round(
      (warm.cpu_us.welcome_warm ?? Number.NaN) / (warm.cpu_us.jose_verify_floor ?? Number.NaN),
      2,
    ),
    cpu_us: Object.fromEntries(Object.entries(warm.cpu_us).map(([name, value]) => [name, round(value, 2)])),
    welcome_over_raw_hmac: round(welcomeUs / (us.raw_hmac_verify ?? Number.NaN), 1),
    bundle_bytes,
    bundle_gzip_bytes,
    zip_bytes,
    shipped_files,
    load_ms,
    load_over_minimal,
    secret_fetches_per_1000_warm: warm.secret_fetches_per_1000_warm,
    secret_fetches_first_1000_new_container: warm.secret_fetches_first_1000_new_container,
    secret_fetches_50_concurrent_cold: warm.secret_fetches_50_concurrent_cold,
    secret_fetches_50_concurrent_cold_signin: warm.secret_fetches_50_concurrent_cold_signin,
    key_imports_per_1000_warm: warm.key_imports_per_1000_warm,
    key_imports_50_concurrent_cold: warm.key_imports_50_concurrent_cold,
    handler_calls: warm.handler_calls,
    log_lines: warm.log_lines,
    log_mentions_a_token: warm.log_mentions_a_token,
    method: {
      warm: `median of ${WARM_ROUNDS} interleaved rounds, batch sizes ${JSON.stringify(warm.batch)}, shipped bundles imported in-process, handler log lines written to a file on tmpfs`,
      load: `median of ${LOAD_RUNS} fresh node processes per bundle, import() time minus the empty module's, env of serverless.yml`,
      package_seconds: round(packaged.seconds),
    },
    targets,
  };

  process.stdout.write(`${asJson ? JSON.stringify(result, null, 2) : renderTable(result)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
  rmSync(join(root, workFolder), { recursive: true, force: true });
}
