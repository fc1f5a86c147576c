/**
 * The cost model: what one call of a route takes on Lambda and costs, from figures measured on this
 * machine (CPU time, time waiting on the endpoints, DynamoDB and Secrets Manager calls, log bytes),
 * the function's memory in serverless.yml, and the prices of bench/prices.json.
 */
import { readFileSync } from "node:fs";

const root = new URL("../", import.meta.url);

interface Price {
  readonly usd: number;
  readonly free: number;
}
interface Tier {
  readonly upTo: number | null;
  readonly usd: number;
}
interface PriceFile {
  readonly read: string;
  readonly region: string;
  readonly prices: Record<string, Price & { tiers?: Tier[] }>;
  readonly constants: Record<string, { value: number }>;
}

export const PRICE_FILE = JSON.parse(readFileSync(new URL("bench/prices.json", root), "utf8")) as PriceFile;
const price = (name: string): Price => {
  const found = PRICE_FILE.prices[name];
  if (found === undefined) throw new Error(`bench/prices.json has no price ${name}`);
  return found;
};
export const usd = (name: string) => price(name).usd;
export const freeAllowance = (name: string) => price(name).free ?? 0;
const constant = (name: string) => PRICE_FILE.constants[name]?.value ?? Number.NaN;

/** What a tiered price (a Cognito plan) charges for `quantity` units. */
export function tiered(name: string, quantity: number): number {
  let charged = 0;
  let below = 0;
  for (const { upTo, usd } of PRICE_FILE.prices[name]?.tiers ?? []) {
    const top = upTo ?? Number.POSITIVE_INFINITY;
    charged += Math.max(0, Math.min(quantity, top) - below) * usd;
    below = top;
  }
  return charged;
}

export interface FunctionMemory {
  readonly memoryMb: number;
  /** The comment beside the value in serverless.yml; undefined when the function inherits the default. */
  readonly reason: string | undefined;
}

/**
 * Each function's memorySize in serverless.yml, with the comment beside it; a function without
 * one gets provider.memorySize. A small line reader: the keys it needs sit at fixed indents.
 */
export function functionMemory(yaml = readFileSync(new URL("serverless.yml", root), "utf8")): {
  provider: FunctionMemory;
  functions: Record<string, FunctionMemory>;
} {
  const memoryLine = /^\s+memorySize:\s*(\d+)\s*(?:#\s*(.*))?$/;
  const lines = yaml.split("\n");
  let section = "";
  let current: string | undefined;
  let provider: FunctionMemory | undefined;
  const functions: Record<string, FunctionMemory | undefined> = {};
  for (const line of lines) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*/, "");
      current = undefined;
      continue;
    }
    const memory = memoryLine.exec(line);
    if (section === "provider" && memory && /^ {2}\S/.test(line)) {
      provider = { memoryMb: Number(memory[1]), reason: memory[2]?.trim() };
    }
    if (section !== "functions") continue;
    const name = /^ {2}([A-Za-z0-9]+):\s*$/.exec(line)?.[1];
    if (name !== undefined) {
      current = name;
      functions[name] = undefined;
    } else if (current !== undefined && memory && /^ {4}\S/.test(line)) {
      functions[current] = { memoryMb: Number(memory[1]), reason: memory[2]?.trim() };
    }
  }
  if (provider === undefined) throw new Error("serverless.yml has no provider.memorySize");
  const inherited = { memoryMb: provider.memoryMb, reason: undefined };
  return {
    provider,
    functions: Object.fromEntries(Object.entries(functions).map(([name, memory]) => [name, memory ?? inherited])),
  };
}

/** What one warm call of a route was measured to take and use on this machine. */
export interface Measured {
  /** CPU time of this process (all its threads: scrypt runs on libuv's pool) per call. */
  readonly cpuUs: number;
  /** Wall time per call; what is not CPU is waiting on the endpoints. */
  readonly wallUs: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly secretCalls: number;
  /** Bytes the function wrote to its log per call, and in how many lines. */
  readonly logBytes: number;
  readonly logLines: number;
  /** Whether API Gateway bills an HTTP API request for it (not for the authorizer: that request is the route's). */
  readonly httpRequest: boolean;
}

/**
 * The duration Lambda would show at `memoryMb`: CPU time scaled to the share of a vCPU that the
 * memory buys, plus the wait measured here (wall minus CPU, at least 0).
 */
export function modelledMs(measured: Measured, memoryMb: number): number {
  const share = Math.min(1, memoryMb / constant("lambdaFullVcpuMb"));
  return measured.cpuUs / share / 1000 + Math.max(0, measured.wallUs - measured.cpuUs) / 1000;
}

/** Bytes CloudWatch Logs ingests per call: the function's lines with Lambda's prefix, Lambda's own lines, the access log line. */
export function logBytesPerCall(measured: Measured, accessLogBytes: number): number {
  const lambda = measured.logBytes + measured.logLines * constant("lambdaLogLinePrefixBytes");
  return lambda + constant("lambdaPlatformLogBytes") + (measured.httpRequest ? accessLogBytes : 0);
}

/** US dollars per call, by what is billed, at `memoryMb` (no free allowance: the marginal price). */
export function costPerCall(measured: Measured, memoryMb: number, accessLogBytes: number): Record<string, number> {
  const increment = constant("lambdaBilledMsIncrement");
  const billedMs = Math.ceil(modelledMs(measured, memoryMb) / increment) * increment;
  const logGb = logBytesPerCall(measured, accessLogBytes) / 1e9;
  return {
    lambda_requests: usd("lambdaRequest"),
    lambda_duration: (billedMs / 1000) * (memoryMb / 1024) * usd("lambdaGbSecond"),
    http_api: measured.httpRequest ? usd("httpApiRequest") : 0,
    dynamodb: measured.readUnits * usd("dynamodbReadUnit") + measured.writeUnits * usd("dynamodbWriteUnit"),
    secrets_manager: measured.secretCalls * usd("secretApiCall"),
    logs: logGb * (usd("logsIngestionGb") + usd("logsStorageGbMonth")),
  };
}

export const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/**
 * Bytes of one line of the HTTP API's access log (provider.logs.httpApi.format), each $context
 * variable filled with a value of typical length.
 */
export function accessLogBytes(yaml = readFileSync(new URL("serverless.yml", root), "utf8")): number {
  // A folded block (`format: >-`): its lines, each indented deeper, joined by one space.
  const block = /^(\s+)format: >-\n((?:\1\s+.*\n)+)/m.exec(yaml);
  const format = (block?.[2] ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
  const typical: Record<string, string> = {
    requestId: "Ab1Cd2Ef3Gh4IjA=",
    "identity.sourceIp": "203.0.113.254",
    requestTimeEpoch: "1764780000000",
    httpMethod: "POST",
    routeKey: "POST /refresh",
    status: "200",
    responseLength: "164",
    responseLatency: "12",
    integrationLatency: "11",
    integrationStatus: "200",
  };
  return Buffer.byteLength(format.replace(/\$context\.([\w.]+)/g, (_, name: string) => typical[name] ?? "-"));
}

/** The memory sizes the bench models each route at. */
export const CANDIDATE_MEMORY_MB = [128, 256, 512, 1024, 1769] as const;
