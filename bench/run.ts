/**
 * `npm run bench`: packages the service as `npm run package` does, then measures in one run what the
 * targets of docs/performance.md are judged by: warm costs (welcome, the authorizer, refresh,
 * GET /sessions, sign-in, the password change, a passkey sign-in) beside their floors, bundle sizes, module load times beside a
 * minimal bundle, and secret fetches; and for each route what one call uses and, by bench/model.ts,
 * what it would take and cost on Lambda at its memory in serverless.yml. Prints a table, with --json
 * one JSON object, with --cost the monthly tables of docs/cost.md. Every ratio is taken between
 * figures of this one run, since the machine may be busy.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";
import { costTables } from "./cost.ts";
import {
  accessLogBytes,
  CANDIDATE_MEMORY_MB,
  costPerCall,
  functionMemory,
  modelledMs,
  PRICE_FILE,
  sum,
} from "./model.ts";
import { packageService } from "./package.ts";
import { measureWarm } from "./warm.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const LOAD_RUNS = 21;
const PASSKEY_BUNDLES = ["passkeySignin", "managePasskeys"];
const WARM_ROUNDS = 15;
/** Options of serverless-esbuild itself, which esbuild's build() does not take. */
const PLUGIN_OPTIONS = ["exclude", "packager", "outputWorkFolder", "outputFileExtension", "plugins"];
/**
 * A region and credentials, as Lambda puts them in every function's environment; and no notice that
 * the SDK's 2027 releases need Node 22; Lambda runs 24, this machine may run 20.
 */
const AWS_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

const round = (value: number | undefined, digits = 1) =>
  Math.round((value ?? Number.NaN) * 10 ** digits) / 10 ** digits;
const ratio = (value: number | undefined, base: number | undefined) => round((value ?? 0) / (base ?? 0), 2);
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** Milliseconds a fresh Node process spends importing `file`. */
function loadMs(file: string, env: Record<string, string | undefined>): number {
  const script =
    "const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));";
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script, file], { env, encoding: "utf8" });
  return Number(out);
}

const work = mkdtempSync(join(tmpdir(), "sjwt-bench-"));
// Log lines go to memory-backed storage where there is some, so disk writeback cannot stall them.
// (A pipe, as on Lambda, was tried: every line then also paid for waking the reader, not our cost.)
const logDir = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/sjwt-bench-") : work;
try {
  progress("packaging with osls (serverless-esbuild)...");
  const packaged = await packageService(join(work, "package"));
  // The yardstick: jose + the AWS clients, bundled with the esbuild options of serverless.yml.
  const options = Object.entries(packaged.esbuild).filter(([key]) => !PLUGIN_OPTIONS.includes(key));
  const [minimal] = (
    await build({
      ...(Object.fromEntries(options) as BuildOptions),
      absWorkingDir: root,
      entryPoints: [join(root, "bench/minimal.ts")],
      outfile: join(work, "minimal.mjs"),
      write: false,
      logLevel: "silent",
    })
  ).outputFiles;
  const bundleDir = join(work, "task");
  const shipped = { ...packaged.bundles, minimal_jose_sdk: { file: "minimal.mjs", code: minimal?.contents ?? "" } };
  const empty = join(bundleDir, "empty.mjs");
  const files: Record<string, string> = { empty };
  const bundle_bytes: Record<string, number> = {};
  for (const [name, { file, code }] of Object.entries(shipped)) {
    files[name] = join(bundleDir, file);
    mkdirSync(dirname(files[name]), { recursive: true });
    writeFileSync(files[name], code);
    bundle_bytes[name] = code.length;
  }
  writeFileSync(empty, "");

  progress(`module load times: ${LOAD_RUNS} fresh processes per bundle, interleaved...`);
  const lambdaEnv = { PATH: process.env.PATH, ...packaged.environment, ...AWS_ENV };
  const loads: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((name) => [name, []]));
  for (let run = 0; run < LOAD_RUNS; run += 1) {
    for (const [name, file] of Object.entries(files)) loads[name]?.push(loadMs(file, lambdaEnv));
  }
  // The fastest import of each: a busy neighbour only ever adds to an import, never takes away.
  const emptyMs = Math.min(...(loads.empty ?? []));
  const load_ms = Object.fromEntries(
    Object.entries(loads).map(([name, ms]) => [name, round(name === "empty" ? emptyMs : Math.min(...ms) - emptyMs, 2)]),
  );
  const load_over_minimal = Object.fromEntries(
    Object.keys(packaged.bundles).map((name) => [name, ratio(load_ms[name], load_ms.minimal_jose_sdk)]),
  );

  progress(`warm costs (${WARM_ROUNDS} interleaved rounds), sign-in and secret fetches...`);
  // The handlers' log lines are written as on Lambda, one write(2) each, but into a file (logDir).
  const logFd = openSync(join(logDir, "handler-logs.jsonl"), "w");
  const write = process.stdout.write;
  process.stdout.write = ((line: string) => writeSync(logFd, line) >= 0) as typeof write;
  const {
    us,
    ms,
    counts,
    routes: uses,
  } = await measureWarm(bundleDir, { ...packaged.environment, ...AWS_ENV }, WARM_ROUNDS).finally(() => {
    process.stdout.write = write;
    closeSync(logFd);
  });
  const fields = (values: Record<string, number>, unit: string) =>
    Object.fromEntries(Object.entries(values).map(([name, value]) => [`${name}_${unit}`, round(value, 2)]));
  const memory = functionMemory();
  const accessBytes = accessLogBytes();
  const fullVcpuMb = PRICE_FILE.constants.lambdaFullVcpuMb?.value ?? 1769;
  const routes = Object.fromEntries(
    Object.entries(uses).map(([name, use]) => {
      const memoryMb = memory.functions[use.function]?.memoryMb ?? memory.provider.memoryMb;
      const cost = costPerCall(use, memoryMb, accessBytes);
      const at = (mb: number) => ({
        modelled_ms: round(modelledMs(use, mb), 2),
        cost_per_million_usd: round(sum(costPerCall(use, mb, accessBytes)) * 1e6, 3),
      });
      return [
        name,
        {
          function: use.function,
          memory_mb: memoryMb,
          cpu_us: round(use.cpuUs, 1),
          wait_us: round(Math.max(0, use.wallUs - use.cpuUs), 1),
          modelled_ms: round(modelledMs(use, memoryMb), 2),
          // A cold start's import of the bundle (load_ms, on a full core here) at this memory's share.
          modelled_cold_load_ms: round(((load_ms[use.function] ?? 0) * fullVcpuMb) / Math.min(memoryMb, fullVcpuMb), 1),
          read_units: round(use.readUnits, 2),
          write_units: round(use.writeUnits, 2),
          secret_calls: round(use.secretCalls, 3),
          log_bytes: round(use.logBytes, 0),
          log_lines: round(use.logLines, 2),
          http_request: use.httpRequest,
          cost_per_million_usd: round(sum(cost) * 1e6, 3),
          cost_per_million_by_service: Object.fromEntries(
            Object.entries(cost).map(([key, value]) => [key, round(value * 1e6, 3)]),
          ),
          at_memory: Object.fromEntries(CANDIDATE_MEMORY_MB.map((mb) => [mb, at(mb)])),
          // The cheapest size whose warm call is within 1 ms of its time on a full vCPU (docs/cost.md).
          suggested_memory_mb: CANDIDATE_MEMORY_MB.filter(
            (mb) => modelledMs(use, mb) <= modelledMs(use, fullVcpuMb) + 1,
          ).sort((a, b) => sum(costPerCall(use, a, accessBytes)) - sum(costPerCall(use, b, accessBytes)))[0],
        },
      ];
    }),
  );
  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.trim() },
    ...fields(us, "us"),
    ...fields(ms, "ms"),
    welcome_over_jose_floor: ratio(us.welcome_warm, us.jose_verify_floor),
    tutorial_over_welcome: ratio(us.tutorial_verify, us.welcome_warm),
    authorize_over_welcome: ratio(us.authorize_warm, us.welcome_warm),
    refresh_over_floor: ratio(us.refresh_in_window_warm, us.refresh_floor),
    sessions_over_floor: ratio(us.sessions_warm, us.sessions_floor),
    signin_over_scrypt_floor: ratio(ms.signin_warm, ms.scrypt_floor),
    password_change_over_floor: ratio(ms.password_change_warm, ms.password_change_floor),
    passkey_signin_over_floor: ratio(ms.passkey_signin_warm, ms.passkey_verify_floor),
    bundle_bytes,
    load_ms,
    load_over_minimal,
    ...counts,
    prices: { read: PRICE_FILE.read, region: PRICE_FILE.region },
    access_log_bytes: accessBytes,
    routes,
  };
  const targets = {
    welcome_within_1_3x_jose_floor: result.welcome_over_jose_floor <= 1.3,
    welcome_4x_faster_than_tutorial: result.tutorial_over_welcome >= 4,
    // The passkey bundles carry the WebAuthn library: measured, not held to it (docs/performance.md).
    load_within_1_2x_minimal: Object.entries(load_over_minimal).every(
      ([name, ratio]) => PASSKEY_BUNDLES.includes(name) || ratio <= 1.2,
    ),
    authorize_within_1_3x_jose_floor: ratio(us.authorize_warm, us.jose_verify_floor) <= 1.3,
    no_secret_fetch_in_1000_warm_requests: counts.secret_fetches_per_1000_warm === 0,
    cold_requests_share_one_fetch: counts.secret_fetches_50_concurrent_cold === 1,
  };

  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ ...result, targets }, null, 2)}\n`);
  } else if (process.argv.includes("--cost")) {
    process.stdout.write(costTables(result));
  } else {
    const { routes: _routes, ...flat } = result;
    const rows = Object.entries(flat).flatMap(([name, value]) =>
      typeof value === "object"
        ? Object.entries(value).map(([key, inner]) => [`${name}.${key}`, String(inner)])
        : [[name, String(value)]],
    );
    const width = Math.max(...rows.map(([name]) => name?.length ?? 0));
    for (const [name, value] of rows) process.stdout.write(`${name?.padEnd(width)}  ${value}\n`);
    for (const [name, held] of Object.entries(targets)) process.stdout.write(`${held ? "held  " : "MISSED"} ${name}\n`);
    process.stdout.write(
      "\nroute                     memory  cpu µs  wait µs  Lambda ms  RRU  WRU  log B  $/million\n",
    );
    for (const [name, route] of Object.entries(routes)) {
      const cells = [
        route.memory_mb,
        route.cpu_us,
        route.wait_us,
        route.modelled_ms,
        route.read_units,
        route.write_units,
      ];
      const line = [name.padEnd(24), ...cells.map((cell, i) => String(cell).padStart(i === 0 ? 7 : 8))];
      process.stdout.write(
        `${line.join(" ")} ${String(route.log_bytes).padStart(6)} ${String(route.cost_per_million_usd).padStart(10)}\n`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
}
