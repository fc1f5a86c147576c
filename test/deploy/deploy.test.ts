/**
 * `npm run test:deploy`: the real `osls deploy` of a fresh stage against moto (moto_server on a
 * loopback port), checked through the AWS SDK as a user would rely on it; then a user added with
 * `npm run users -- add --aws`, `osls remove`, the retained tables still holding that user, and a
 * deployment again over them as docs/deploy.md describes.
 *
 * moto creates the tables, roles, functions and log groups, but not the secret, its rotation, the
 * HTTP API or its routes, and applies neither point-in-time recovery, TTL nor the architecture; for
 * those the test reads the template CloudFormation holds. It runs no function code.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { CloudFormationClient, GetTemplateCommand, ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/free-port.ts";
import { runCommand } from "../support/command.ts";
import { ROUTES } from "../support/routes.ts";

const motoFound = spawnSync("moto_server", ["--help"], { stdio: "ignore" }).error === undefined;
if (!motoFound) console.log('moto_server not found: pip install "moto[server]" cfn-lint');

const STAGE = `moto${process.pid}`;
const SERVICE = `serverless-jwt-auth-${STAGE}`;
const TABLES = {
  users: `${SERVICE}-users`,
  sessions: `${SERVICE}-sessions`,
  attempts: `${SERVICE}-signin-attempts`,
  passkeys: `${SERVICE}-passkeys`,
  challenges: `${SERVICE}-passkey-challenges`,
};
const FUNCTIONS = [
  "signin",
  "welcome",
  "refresh",
  "logout",
  "logoutEverywhere",
  "authorize",
  "me",
  "sessions",
  "changePassword",
  "signup",
  "passkeySignin",
  "managePasskeys",
  "page",
  "rotateSigningKey",
];
const USER = "deploy-check";
const PASSWORD = "a password of the deploy test";

let moto: ChildProcess | undefined;
let env: Record<string, string>;
const workFolder = mkdtempSync(join(tmpdir(), "sls-deploy-"));
const sdk = () => ({
  endpoint: env.AWS_ENDPOINT_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** Runs osls as `npm run deploy` would, against moto; resolves with its output, rejects on failure. */
async function osls(...args: string[]): Promise<string> {
  const run = await promisify(execFile)(process.execPath, ["node_modules/osls/bin/serverless.js", ...args], {
    env,
    timeout: 240_000,
  });
  return run.stdout + run.stderr;
}

async function waitForMoto(endpoint: string): Promise<void> {
  for (let tries = 0; tries < 100; tries += 1) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer at ${endpoint}`);
}

async function userItem(): Promise<Record<string, unknown> | undefined> {
  const client = new DynamoDBClient(sdk());
  try {
    const got = await client.send(new GetItemCommand({ TableName: TABLES.users, Key: { username: { S: USER } } }));
    return got.Item;
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  if (!motoFound) return;
  const port = await freePort();
  moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    SLS_TELEMETRY_DISABLED: "1",
    ESBUILD_WORK_FOLDER: `.esbuild-${basename(workFolder)}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  await waitForMoto(env.AWS_ENDPOINT_URL as string);
  await osls("package", "--stage", STAGE, "--package", workFolder);
  await osls("deploy", "--stage", STAGE, "--package", workFolder);
  const cloudFormation = new CloudFormationClient(sdk());
  const body = (await cloudFormation.send(new GetTemplateCommand({ StackName: SERVICE }))).TemplateBody;
  template = JSON.parse(body ?? "{}");
  cloudFormation.destroy();
});

afterAll(() => {
  moto?.kill();
  rmSync(workFolder, { recursive: true, force: true });
  if (env !== undefined) rmSync(env.ESBUILD_WORK_FOLDER as string, { recursive: true, force: true });
});

describe.skipIf(!motoFound)("osls deploy, on moto", () => {
  it("creates the five tables on demand with their keys; the template asks point-in-time recovery and TTL", async () => {
    const client = new DynamoDBClient(sdk());
    const keys = { users: "username", sessions: "sid", attempts: "username", passkeys: "id", challenges: "challenge" };
    for (const [name, table] of Object.entries(TABLES)) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.KeySchema).toEqual([{ AttributeName: keys[name as keyof typeof keys], KeyType: "HASH" }]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    }
    client.destroy();
    const properties = (name: string) => template.Resources[name]?.Properties;
    const tables = ["UsersTable", "SessionsTable", "SigninAttemptsTable", "PasskeysTable", "PasskeyChallengesTable"];
    for (const name of tables) {
      expect(properties(name)?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    expect(properties("UsersTable")).not.toHaveProperty("TimeToLiveSpecification");
    for (const name of ["SessionsTable", "SigninAttemptsTable", "PasskeyChallengesTable"]) {
      expect(properties(name)?.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
    }
  });

  it("declares the signing-key secret, kept on removal, rotated every 30 days by the rotation function", () => {
    expect(template.Resources.SigningKeySecret).toMatchObject({
      Type: "AWS::SecretsManager::Secret",
      DeletionPolicy: "Retain",
      Properties: { Name: `serverless-jwt-auth/${STAGE}/signing-key` },
    });
    expect(template.Resources.SigningKeyRotationSchedule?.Properties).toMatchObject({
      SecretId: { Ref: "SigningKeySecret" },
      RotationLambdaARN: { "Fn::GetAtt": ["RotateSigningKeyLambdaFunction", "Arn"] },
      RotationRules: { AutomaticallyAfterDays: "30" },
    });
  });

  it("declares the routes, GET /me behind the session authorizer, and no CORS by default", () => {
    const routes = Object.values(template.Resources).filter((r) => r.Type === "AWS::ApiGatewayV2::Route");
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...ROUTES]);
    const guarded = routes.filter((r) => r.Properties.AuthorizationType === "CUSTOM");
    expect(guarded.map((r) => r.Properties.RouteKey)).toEqual(["GET /me"]);
    expect(template.Resources.HttpApiAuthorizerSession?.Properties).toMatchObject({
      IdentitySource: ["$request.header.Cookie"],
    });
    expect(template.Resources.HttpApi?.Properties.CorsConfiguration).toBeUndefined();
  });

  it("creates each function on nodejs24.x with a role of its own and the tables and secret in its environment", async () => {
    const lambda = new LambdaClient(sdk());
    const cloudFormation = new CloudFormationClient(sdk());
    const stackResources = await cloudFormation.send(new ListStackResourcesCommand({ StackName: SERVICE }));
    const physical = new Map(
      (stackResources.StackResourceSummaries ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]),
    );
    const roles = new Set<string>();
    for (const name of FUNCTIONS) {
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${SERVICE}-${name}` }));
      const logicalName = name[0]?.toUpperCase() + name.slice(1);
      expect(fn.Runtime).toBe("nodejs24.x");
      expect(template.Resources[`${logicalName}LambdaFunction`]?.Properties.Architectures).toEqual(["arm64"]);
      expect(fn.Role?.endsWith(`/${physical.get(`${logicalName}Role`)}`), name).toBe(true);
      roles.add(fn.Role ?? "");
      expect(fn.Environment?.Variables).toMatchObject({
        USERS_TABLE: TABLES.users,
        SESSIONS_TABLE: TABLES.sessions,
        SIGNIN_ATTEMPTS_TABLE: TABLES.attempts,
        SIGNING_KEY_SECRET_ID: `serverless-jwt-auth/${STAGE}/signing-key`,
      });
    }
    expect(roles.size).toBe(FUNCTIONS.length);
    lambda.destroy();
    cloudFormation.destroy();
  });

  it("creates a log group with 30 days' retention for each function and for the access log", async () => {
    const logs = new CloudWatchLogsClient(sdk());
    const groups = await logs.send(new DescribeLogGroupsCommand({}));
    const retention = new Map((groups.logGroups ?? []).map((group) => [group.logGroupName, group.retentionInDays]));
    for (const name of [...FUNCTIONS.map((fn) => `/aws/lambda/${SERVICE}-${fn}`), `/aws/http-api/${SERVICE}`]) {
      expect(retention.get(name), name).toBe(30);
    }
    logs.destroy();
  });

  it("declares the alarms on one SNS topic, which moto creates (it lists no alarm), with their thresholds", async () => {
    const cloudFormation = new CloudFormationClient(sdk());
    const listed = await cloudFormation.send(new ListStackResourcesCommand({ StackName: SERVICE }));
    cloudFormation.destroy();
    const types = new Map((listed.StackResourceSummaries ?? []).map((r) => [r.LogicalResourceId, r.ResourceType]));
    expect(types.get("AlarmTopic")).toBe("AWS::SNS::Topic");
    const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms.map(([name]) => name).sort()).toEqual([
      "Api503RateAlarm",
      "Api5xxRateAlarm",
      "LockoutSpikeAlarm",
      "RefreshReuseAlarm",
      "RotationErrorsAlarm",
      "SigninFailureSpikeAlarm",
    ]);
    for (const [, alarm] of alarms) expect(alarm.Properties).toMatchObject({ AlarmActions: [{ Ref: "AlarmTopic" }] });
  });

  it("takes a user from `npm run users -- add --aws` into the stage's users table", async () => {
    const command = runCommand(["local/users-cli.ts", "add", USER, "--aws", "--stage", STAGE], env, PASSWORD);

    expect(await command.exited, command.output()).toBe(0);
    expect(await userItem()).toMatchObject({ username: { S: USER }, passwordHash: { S: expect.any(String) } });
  });

  it("keeps the tables and their items when the stack is removed", async () => {
    await osls("remove", "--stage", STAGE);

    expect(await userItem()).toMatchObject({ username: { S: USER } });
  });

  it("cannot deploy a new stack over the retained tables, which it would create again", async () => {
    await expect(osls("deploy", "--stage", STAGE, "--package", workFolder)).rejects.toThrow(/failed to deploy/);
  });

  it("deploys again after the users are saved and the tables deleted, and takes the users back", async () => {
    // docs/deploy.md: save the users, delete the retained tables, deploy, import the users.
    const client = new DynamoDBClient(sdk());
    const scanned = await client.send(new ScanCommand({ TableName: TABLES.users }));
    const saved = Object.fromEntries((scanned.Items ?? []).map((item) => [item.username?.S, item.passwordHash?.S]));
    for (const table of Object.values(TABLES)) await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
    await osls("deploy", "--stage", STAGE, "--package", workFolder);
    const command = runCommand(["local/users-cli.ts", "import", "--aws", "--stage", STAGE], env, JSON.stringify(saved));

    expect(await command.exited, command.output()).toBe(0);
    expect(await userItem()).toMatchObject({ username: { S: USER }, passwordHash: { S: saved[USER] } });
  });
});
