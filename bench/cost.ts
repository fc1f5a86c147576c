/**
 * The monthly bill of docs/cost.md, from a bench run's routes: `npm run -s bench -- --cost`, or
 * `tsx bench/cost.ts bench/measured.json` for a saved `npm run -s bench -- --json`. Prints markdown.
 * The usage below is an assumption, stated once here and in docs/cost.md.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freeAllowance, logBytesPerCall, type Measured, tiered, usd } from "./model.ts";

/** One route as `npm run bench -- --json` reports it (the fields the bill needs). */
interface Route {
  readonly memory_mb: number;
  readonly modelled_ms: number;
  readonly cpu_us: number;
  readonly read_units: number;
  readonly write_units: number;
  readonly secret_calls: number;
  readonly log_bytes: number;
  readonly log_lines: number;
  readonly http_request: boolean;
  readonly cost_per_million_usd: number;
}
interface BenchResult {
  readonly access_log_bytes: number;
  readonly routes: Record<string, Route>;
}

/** What one monthly active user does in a month (docs/cost.md, "Usage"). */
export const USAGE = {
  sessionsPerMonth: 20, // 10 active days, 2 sessions a day; each begins with a sign-in (tokens last 300 s)
  protectedPerSession: 30, // requests to routes behind the authorizer
  refreshesPerSession: 3, // a 15-minute session refreshes every 270 s
  logoutsPerSession: 0.5,
  logoutEverywherePerMonth: 0.1,
} as const;
const ITEM_BYTES = { user: 250, session: 200 }; // with DynamoDB's 100 bytes of overhead per item
const KEY_READING_FUNCTIONS = 6; // each warm container reads the key once per SECRET_CACHE_SECONDS (300)
const SECRET_READS_PER_CONTAINER_MONTH = (30 * 86_400) / 300;

export type Mode = { revocation: "refresh" | "every-request"; cache: boolean };
export const MODES: readonly Mode[] = [
  { revocation: "refresh", cache: false },
  { revocation: "refresh", cache: true },
  { revocation: "every-request", cache: false },
  { revocation: "every-request", cache: true },
];

/** Calls of each route a month for `mau` users in `mode`. */
function callsPerMonth(mau: number, mode: Mode): Record<string, number> {
  const sessions = mau * USAGE.sessionsPerMonth;
  // With the cache (TTL at least the token's life) the authorizer runs once per token the session uses.
  const authorizePerSession = mode.cache ? 1 + USAGE.refreshesPerSession : USAGE.protectedPerSession;
  return {
    signin: sessions,
    refresh: sessions * USAGE.refreshesPerSession,
    logout: sessions * USAGE.logoutsPerSession,
    logoutEverywhere: mau * USAGE.logoutEverywherePerMonth,
    [mode.revocation === "refresh" ? "authorize" : "authorize_every_request"]: sessions * authorizePerSession,
  };
}

const measuredOf = (route: Route): Measured => ({
  cpuUs: route.cpu_us,
  wallUs: route.cpu_us,
  readUnits: route.read_units,
  writeUnits: route.write_units,
  secretCalls: route.secret_calls,
  logBytes: route.log_bytes,
  logLines: route.log_lines,
  httpRequest: route.http_request,
});

/** The month's bill in US dollars by service, always-free allowances taken off. */
export function monthlyBill(result: BenchResult, mau: number, mode: Mode): Record<string, number> {
  let [invocations, gbSeconds, httpRequests, readUnits, writeUnits, secretCalls, logBytes] = [0, 0, 0, 0, 0, 0, 0];
  for (const [name, calls] of Object.entries(callsPerMonth(mau, mode))) {
    const route = result.routes[name];
    if (route === undefined) throw new Error(`the bench result has no route ${name}`);
    invocations += calls;
    gbSeconds += calls * (Math.ceil(route.modelled_ms) / 1000) * (route.memory_mb / 1024);
    httpRequests += route.http_request ? calls : 0;
    readUnits += calls * route.read_units;
    writeUnits += calls * route.write_units;
    secretCalls += calls * route.secret_calls;
    logBytes += calls * logBytesPerCall(measuredOf(route), result.access_log_bytes);
  }
  secretCalls += KEY_READING_FUNCTIONS * SECRET_READS_PER_CONTAINER_MONTH; // one warm container each, at least
  const storedGb = (mau * ITEM_BYTES.user + ((mau * USAGE.sessionsPerMonth) / 30) * 2 * ITEM_BYTES.session) / 1e9;
  const logGb = logBytes / 1e9;
  const billed = (name: string, quantity: number) => Math.max(0, quantity - freeAllowance(name)) * usd(name);
  return {
    lambda: billed("lambdaRequest", invocations) + billed("lambdaGbSecond", gbSeconds),
    http_api: billed("httpApiRequest", httpRequests),
    dynamodb:
      billed("dynamodbReadUnit", readUnits) +
      billed("dynamodbWriteUnit", writeUnits) +
      billed("dynamodbStorageGbMonth", storedGb) +
      billed("dynamodbPitrGbMonth", storedGb),
    secrets_manager: usd("secretMonth") + billed("secretApiCall", secretCalls),
    logs: billed("logsIngestionGb", logGb) + billed("logsStorageGbMonth", logGb),
  };
}

const dollars = (value: number) =>
  value >= 100 ? `$${Math.round(value).toLocaleString("en-US")}` : `$${value.toFixed(2)}`;
const total = (bill: Record<string, number>) => Object.values(bill).reduce((a, b) => a + b, 0);
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |\n`;
const ROUTES = [
  "signin",
  "refresh",
  "logout",
  "logoutEverywhere",
  "authorize",
  "authorize_every_request",
  "welcome",
  "me",
  "page",
  "sessions",
  "changePassword",
  "signup",
  "passkeySignin_options",
  "passkeySignin",
  "managePasskeys",
];

/** The tables of docs/cost.md. */
export function costTables(result: BenchResult): string {
  let out = row(["route", "MB", "CPU µs", "ms", "RRU", "WRU", "$/million"]);
  out += row(["---", "--:", "--:", "--:", "--:", "--:", "--:"]);
  for (const name of ROUTES) {
    const route = result.routes[name];
    if (route === undefined) continue;
    const cells = [
      route.memory_mb,
      Math.round(route.cpu_us),
      route.modelled_ms.toFixed(1),
      route.read_units,
      route.write_units,
    ];
    out += row([name, ...cells, route.cost_per_million_usd.toFixed(2)]);
  }
  out += "\n";
  const label = (mode: Mode) => `${mode.revocation}${mode.cache ? ", cache" : ""}`;
  out += row(["MAU", ...MODES.map(label), "Cognito Lite", "Cognito Essentials"]);
  out += row(["--:", ...MODES.map(() => "--:"), "--:", "--:"]);
  for (const mau of [10_000, 100_000, 1_000_000]) {
    const ours = MODES.map((mode) => dollars(total(monthlyBill(result, mau, mode))));
    out += row([
      mau.toLocaleString("en-US"),
      ...ours,
      dollars(tiered("cognitoLiteMau", mau)),
      dollars(tiered("cognitoEssentialsMau", mau)),
    ]);
  }
  out += "\n";
  const services = Object.keys(monthlyBill(result, 1, MODES[0] as Mode));
  out += row(["100,000 MAU", ...services]);
  out += row(["---", ...services.map(() => "--:")]);
  for (const mode of [MODES[0]] as Mode[]) {
    const bill = monthlyBill(result, 100_000, mode);
    out += row([label(mode), ...services.map((service) => dollars(bill[service] ?? 0))]);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: tsx bench/cost.ts <saved npm run -s bench -- --json>");
  process.stdout.write(costTables(JSON.parse(readFileSync(file, "utf8")) as BenchResult));
}
