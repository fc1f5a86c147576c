/**
 * What `npm run deploy` would create, as CloudFormation sees it: `osls package` (no AWS credentials
 * needed) into a temporary folder, then the template's functions, routes, secrets, throttling,
 * rotation resources and roles, read as data.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Resource = { Type: string; DependsOn?: string[]; Properties: Record<string, unknown> };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const folder = mkdtempSync(join(tmpdir(), "sls-package-"));
const workFolder = `.esbuild-package-${process.pid}`;
let resources: Record<string, Resource>;

beforeAll(async () => {
  await promisify(execFile)(
    process.execPath,
    ["node_modules/osls/bin/serverless.js", "package", "--stage", "dev", "--package", folder],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ESBUILD_WORK_FOLDER: workFolder,
        KEY_ROTATION_DAYS: "7",
        SLS_TELEMETRY_DISABLED: "1",
      },
      timeout: 110_000,
    },
  );
  const template = JSON.parse(readFileSync(join(folder, "cloudformation-template-update-stack.json"), "utf8"));
  resources = template.Resources;
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  rmSync(workFolder, { recursive: true, force: true });
});

function resource(name: string): Resource {
  const found = resources[name];
  if (found === undefined) throw new Error(`the template has no ${name}`);
  return found;
}

function statements(role: Resource): Statement[] {
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

describe("the packaged CloudFormation template", () => {
  it("schedules the signing key's rotation with the rotation function, every KEY_ROTATION_DAYS", () => {
    const schedule = resource("SigningKeyRotationSchedule");

    expect(schedule.Type).toBe("AWS::SecretsManager::RotationSchedule");
    expect(schedule.DependsOn).toEqual(["RotateSigningKeyInvokePermission"]);
    expect(schedule.Properties).toEqual({
      SecretId: { Ref: "SigningKeySecret" },
      RotationLambdaARN: { "Fn::GetAtt": ["RotateSigningKeyLambdaFunction", "Arn"] },
      RotationRules: { AutomaticallyAfterDays: "7" },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it("lets Secrets Manager invoke the rotation function for that secret only", () => {
    expect(resource("RotateSigningKeyInvokePermission")).toEqual({
      Type: "AWS::Lambda::Permission",
      Properties: {
        FunctionName: { "Fn::GetAtt": ["RotateSigningKeyLambdaFunction", "Arn"] },
        Action: "lambda:InvokeFunction",
        Principal: "secretsmanager.amazonaws.com",
        SourceArn: { Ref: "SigningKeySecret" },
      },
    });
  });

  it("gives the rotation function a role limited to the four steps' actions on the signing-key secret", () => {
    const fn = resource("RotateSigningKeyLambdaFunction");
    const role = resource("RotationRole");

    expect(fn.Properties.Role).toEqual({ "Fn::GetAtt": ["RotationRole", "Arn"] });
    expect(statements(role)).toEqual([
      {
        Effect: "Allow",
        Action: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
        ],
        Resource: { Ref: "SigningKeySecret" },
      },
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": ["RotateSigningKeyLogGroup", "Arn"] },
      },
    ]);
  });

  it("gives each HTTP function a role of its own with only the calls its code makes", () => {
    const key = { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: { Ref: "SigningKeySecret" } };
    const table = (name: string) => ({ "Fn::GetAtt": [name, "Arn"] });
    const logs = (fn: string) => ({
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: table(`${fn}LogGroup`),
    });
    // Granted only when the stack is deployed with REVOCATION_CHECK=every-request.
    const sessionReads = {
      "Fn::If": [
        "RevocationCheckEveryRequest",
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        { Ref: "AWS::NoValue" },
      ],
    };
    const expected: Record<string, unknown[]> = {
      Signin: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: table("UsersTable") },
        {
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: table("SigninAttemptsTable"),
        },
        { Effect: "Allow", Action: "dynamodb:PutItem", Resource: table("SessionsTable") },
        logs("Signin"),
      ],
      Welcome: [key, sessionReads, logs("Welcome")],
      Refresh: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        logs("Refresh"),
      ],
      Logout: [
        key,
        { Effect: "Allow", Action: "dynamodb:DeleteItem", Resource: table("SessionsTable") },
        logs("Logout"),
      ],
      LogoutEverywhere: [
        key,
        sessionReads,
        { Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: table("UsersTable") },
        logs("LogoutEverywhere"),
      ],
    };
    for (const [name, statementsOfRole] of Object.entries(expected)) {
      const role = resource(`${name}Role`);
      expect(resource(`${name}LambdaFunction`).Properties.Role).toEqual({ "Fn::GetAtt": [`${name}Role`, "Arn"] });
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
      expect(statements(role)).toEqual(statementsOfRole);
    }
    expect(resources).not.toHaveProperty("IamRoleLambdaExecution");
  });

  it("has no wildcard in any action or resource of any role", () => {
    const roles = Object.values(resources).filter((r) => r.Type === "AWS::IAM::Role");
    expect(roles.length).toBeGreaterThanOrEqual(6);
    for (const role of roles) {
      const text = JSON.stringify(role.Properties.Policies);
      expect(text).not.toMatch(/"[^"]*\*[^"]*"/);
    }
  });

  it("keeps every table and secret when the stack is deleted or replaces them, with point-in-time recovery", () => {
    const tables = Object.entries(resources).filter(([, r]) => r.Type === "AWS::DynamoDB::Table");
    expect(tables.map(([name]) => name).sort()).toEqual(["SessionsTable", "SigninAttemptsTable", "UsersTable"]);
    for (const [, table] of tables) {
      expect(table).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
      expect(table.Properties).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    expect(resource("UsersTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-users",
      KeySchema: [{ AttributeName: "username", KeyType: "HASH" }],
    });
    expect(resource("UsersTable").Properties).not.toHaveProperty("TimeToLiveSpecification");
    expect(resource("SessionsTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-sessions",
      KeySchema: [{ AttributeName: "sid", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    expect(resource("SigninAttemptsTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-signin-attempts",
      KeySchema: [{ AttributeName: "username", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("runs the five HTTP functions on nodejs22.x, arm64, routed as the README says", () => {
    for (const name of ["Signin", "Welcome", "Refresh", "Logout", "LogoutEverywhere"]) {
      expect(resource(`${name}LambdaFunction`).Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
      });
    }
    const routes = Object.values(resources)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([
      "GET /logout",
      "GET /welcome",
      "POST /logout",
      "POST /logout-everywhere",
      "POST /refresh",
      "POST /signin",
    ]);
  });

  it("creates the signing key as a generated random JWK, and no users secret (users live in a table)", () => {
    expect(resource("SigningKeySecret").Properties).toMatchObject({
      Name: "serverless-jwt-auth/dev/signing-key",
      GenerateSecretString: {
        SecretStringTemplate: '{"kty":"oct","alg":"HS256"}',
        GenerateStringKey: "k",
        PasswordLength: 43,
        ExcludePunctuation: true,
      },
    });
    expect(Object.values(resources).filter((r) => r.Type === "AWS::SecretsManager::Secret")).toHaveLength(1);
  });

  it("throttles sign-in tighter than the other routes at API Gateway", () => {
    const stage = resource("HttpApiStage");
    const defaults = stage.Properties.DefaultRouteSettings as Record<string, number>;
    const signin = (stage.Properties.RouteSettings as Record<string, Record<string, number>>)["POST /signin"];
    expect(defaults.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(signin?.ThrottlingRateLimit).toBeLessThan(Number(defaults.ThrottlingRateLimit));
    expect(signin?.ThrottlingBurstLimit).toBeLessThan(Number(defaults.ThrottlingBurstLimit));
    expect(stage.DependsOn).toContain("HttpApiRoutePostSignin");
  });

  it("gives the functions their settings and no local endpoint", () => {
    const variables = (resource("SigninLambdaFunction").Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    expect(variables).toMatchObject({
      STAGE: "dev",
      TOKEN_TTL_SECONDS: "300",
      REFRESH_WINDOW_SECONDS: "30",
      USERS_TABLE: "serverless-jwt-auth-dev-users",
      SESSIONS_TABLE: "serverless-jwt-auth-dev-sessions",
      SIGNIN_ATTEMPTS_TABLE: "serverless-jwt-auth-dev-signin-attempts",
      REVOCATION_CHECK: "refresh",
    });
    expect(Object.keys(variables).filter((name) => name.startsWith("AWS_"))).toEqual([]);
  });
});
