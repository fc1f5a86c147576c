/**
 * `npm run rotate-key`, run as a command against a local Secrets Manager endpoint with the
 * project's RotateSecret: a normal rotation keeps the old key as AWSPREVIOUS (nobody is logged
 * out); `--revoke-previous` takes it out, and only once told to.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateSecretOperation } from "../local/rotate-secret.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";
import { loadConfig } from "../shared/core/config.ts";
import { runCommand } from "./support/command.ts";
import { ensureDevKeyOn } from "./support/service.ts";
import { KEY_SECRET } from "./support/tokens.ts";

let secrets: LocalSecretsManager;

beforeAll(async () => {
  const local: LocalSecretsManager = new LocalSecretsManager({
    port: 0,
    extraOperations: { RotateSecret: rotateSecretOperation((): string => local.url) },
  });
  secrets = await local.start();
  await ensureDevKeyOn(secrets, loadConfig({ STAGE: "dev" }));
});

afterAll(async () => {
  await secrets?.stop();
});

const stages = () =>
  secrets.store.describeSecret({ SecretId: KEY_SECRET }).VersionIdsToStages as Record<string, string[]>;
const holder = (stage: string) => Object.entries(stages()).find(([, held]) => held.includes(stage))?.[0];

async function rotateKey(...args: string[]) {
  const run = runCommand(["local/rotate-key.ts", ...args], { LOCAL_SECRETS_PORT: String(secrets.port) }, "");
  return { code: await run.exited, output: run.output() };
}

describe("npm run rotate-key", () => {
  it("keeps the old key as AWSPREVIOUS on a normal rotation, so no session ends", async () => {
    const before = holder("AWSCURRENT");

    const { code, output } = await rotateKey();

    expect(code).toBe(0);
    expect(output).toContain("tokens signed before stay valid");
    expect(holder("AWSPREVIOUS")).toBe(before);
    expect(holder("AWSCURRENT")).not.toBe(before);
  });

  it("refuses --revoke-previous without a terminal and without --yes, changing nothing", async () => {
    const before = stages();

    const { code, output } = await rotateKey("--revoke-previous");

    expect(code).toBe(1);
    expect(output).toContain("Every session whose token the current key signed ends at its next request");
    expect(output).toContain("run it in a terminal, or add --yes");
    expect(stages()).toEqual(before);
  });

  it("rotates and takes the old key out of AWSPREVIOUS with --revoke-previous --yes", async () => {
    const leaked = holder("AWSCURRENT");

    const { code, output } = await rotateKey("--revoke-previous", "--yes");

    expect(code).toBe(0);
    expect(output).toContain(`revoked version ${leaked}`);
    expect(holder("AWSPREVIOUS")).toBeUndefined();
    expect(holder("AWSCURRENT")).not.toBe(leaked);
    expect(stages()[String(leaked)] ?? []).toEqual([]);
  });
});
