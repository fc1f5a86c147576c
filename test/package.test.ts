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

const actions = (statement: Statement) => [statement.Action].flat();

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

  it("keeps the HTTP functions' role to GetSecretValue on the two secrets", () => {
    const role = resource("IamRoleLambdaExecution");
    const secretActions = statements(role).filter((statement) =>
      actions(statement).some((action) => action.startsWith("secretsmanager:")),
    );

    expect(secretActions).toEqual([
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [{ Ref: "SigningKeySecret" }, { Ref: "UsersSecret" }],
      },
    ]);
    for (const name of ["Signin", "Welcome", "Refresh", "Logout"]) {
      expect(resource(`${name}LambdaFunction`).Properties.Role).toEqual({
        "Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"],
      });
    }
  });

  it("runs the four HTTP functions on nodejs22.x, arm64, routed as the README says", () => {
    for (const name of ["Signin", "Welcome", "Refresh", "Logout"]) {
      expect(resource(`${name}LambdaFunction`).Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
      });
    }
    const routes = Object.values(resources)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([
      "GET /",
      "GET /logout",
      "GET /page.css",
      "GET /page.js",
      "GET /welcome",
      "POST /logout",
      "POST /refresh",
      "POST /signin",
    ]);
  });

  it("configures no CORS on the HTTP API unless ALLOWED_ORIGINS is set", () => {
    expect(resource("HttpApi").Properties.CorsConfiguration).toBeUndefined();
  });

  it("gives the page function a role that may only write its own log stream", () => {
    expect(resource("PageLambdaFunction").Properties.Role).toEqual({ "Fn::GetAtt": ["PageRole", "Arn"] });
    expect(statements(resource("PageRole"))).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": ["PageLogGroup", "Arn"] },
      },
    ]);
  });

  it("creates the signing key as a generated random JWK and an empty user directory", () => {
    expect(resource("SigningKeySecret").Properties).toMatchObject({
      Name: "serverless-jwt-auth/dev/signing-key",
      GenerateSecretString: {
        SecretStringTemplate: '{"kty":"oct","alg":"HS256"}',
        GenerateStringKey: "k",
        PasswordLength: 43,
        ExcludePunctuation: true,
      },
    });
    expect(resource("UsersSecret").Properties).toMatchObject({
      Name: "serverless-jwt-auth/dev/users",
      SecretString: "{}",
    });
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
    expect(variables).toMatchObject({ STAGE: "dev", TOKEN_TTL_SECONDS: "300", REFRESH_WINDOW_SECONDS: "30" });
    expect(Object.keys(variables).filter((name) => name.startsWith("AWS_"))).toEqual([]);
  });
});
