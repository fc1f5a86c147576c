/**
 * What the cost model of `npm run bench` (bench/model.ts) stands on: every function's memory in
 * serverless.yml has its reason beside it, every price its date and source, and the model's
 * arithmetic. Runs no bench.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accessLogBytes,
  costPerCall,
  functionMemory,
  type Measured,
  modelledMs,
  PRICE_FILE,
  sum,
  tiered,
  usd,
} from "../bench/model.ts";

const yaml = readFileSync("serverless.yml", "utf8");

describe("serverless.yml memory", () => {
  const { provider, functions } = functionMemory(yaml);

  it("reads every function of serverless.yml", () => {
    const declared = [...yaml.matchAll(/^ {2}([A-Za-z0-9]+):\n {4}handler:/gm)].map((match) => match[1]);

    expect(Object.keys(functions).sort()).toEqual(declared.sort());
    expect(declared.length).toBeGreaterThanOrEqual(9);
  });

  it("gives each function a memorySize of its own with the reason beside it", () => {
    const unexplained = Object.entries(functions)
      .filter(([, memory]) => memory.reason === undefined || memory.reason.length < 20)
      .map(([name]) => name);

    expect(unexplained).toEqual([]);
    expect(provider.reason?.length).toBeGreaterThan(20);
  });

  it("gives sign-in, which runs scrypt, a full vCPU", () => {
    expect(functions.signin?.memoryMb).toBe(PRICE_FILE.constants.lambdaFullVcpuMb?.value);
  });

  it("reads a function without its own memorySize as the provider's", () => {
    const read = functionMemory(
      "provider:\n  memorySize: 300 # default\nfunctions:\n  a:\n    handler: a.handler\n  b:\n    handler: b.handler\n    memorySize: 128 # small\n",
    );

    expect(read.functions).toEqual({ a: { memoryMb: 300, reason: undefined }, b: { memoryMb: 128, reason: "small" } });
  });
});

describe("bench/prices.json", () => {
  it("is dated, for one region", () => {
    expect(PRICE_FILE.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_FILE.region).toBe("us-east-1");
  });

  it("gives every price an AWS pricing page, where it was read, and whether it was confirmed", () => {
    const entries = Object.entries(PRICE_FILE.prices as unknown as Record<string, Record<string, unknown>>);
    const incomplete = entries
      .filter(
        ([, price]) =>
          !String(price.source).startsWith("https://aws.amazon.com/") ||
          typeof price.readFrom !== "string" ||
          typeof price.confirmed !== "boolean" ||
          (typeof price.usd !== "number" && !Array.isArray(price.tiers)),
      )
      .map(([name]) => name);

    expect(entries.length).toBeGreaterThanOrEqual(12);
    expect(incomplete).toEqual([]);
  });

  it("charges Cognito's tiers piece by piece", () => {
    expect(tiered("cognitoEssentialsMau", 10_000)).toBe(0);
    expect(tiered("cognitoEssentialsMau", 110_000)).toBeCloseTo(1500, 6);
    expect(tiered("cognitoLiteMau", 200_000)).toBeCloseTo(90_000 * 0.0055 + 100_000 * 0.0046, 6);
  });
});

describe("the model", () => {
  const scrypt: Measured = {
    cpuUs: 111_000,
    wallUs: 113_000,
    readUnits: 2,
    writeUnits: 3,
    secretCalls: 0,
    logBytes: 250,
    logLines: 1,
    httpRequest: true,
  };

  it("scales CPU time by the share of a vCPU and adds the wait unscaled", () => {
    expect(modelledMs(scrypt, 1769)).toBeCloseTo(113, 6);
    expect(modelledMs(scrypt, 512)).toBeCloseTo((111 * 1769) / 512 + 2, 6);
    expect(modelledMs({ ...scrypt, wallUs: 100_000 }, 1769)).toBeCloseTo(111, 6);
  });

  it("finds sign-in about 3.5x faster at 1769 MB than at 512 MB for about the same duration cost", () => {
    const [full, half] = [costPerCall(scrypt, 1769, 0), costPerCall(scrypt, 512, 0)];

    expect(modelledMs(scrypt, 512) / modelledMs(scrypt, 1769)).toBeGreaterThan(3.3);
    expect((full.lambda_duration ?? 0) / (half.lambda_duration ?? 1)).toBeGreaterThan(0.95);
    expect((full.lambda_duration ?? 0) / (half.lambda_duration ?? 1)).toBeLessThan(1.05);
  });

  it("bills at least a whole millisecond, and the authorizer no HTTP API request", () => {
    const verify: Measured = { ...scrypt, cpuUs: 50, wallUs: 50, readUnits: 0, writeUnits: 0, httpRequest: false };
    const cost = costPerCall(verify, 256, 300);

    expect(cost.lambda_duration).toBeCloseTo(0.001 * 0.25 * usd("lambdaGbSecond"), 15);
    expect(cost.http_api).toBe(0);
    expect(sum(cost)).toBeGreaterThan(cost.lambda_requests ?? 0);
  });

  it("sizes an access log line from serverless.yml's format", () => {
    expect(accessLogBytes(yaml)).toBeGreaterThan(200);
    expect(accessLogBytes(yaml)).toBeLessThan(600);
  });
});
