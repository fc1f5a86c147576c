/**
 * The deployment as CloudFormation sees it: `osls package` (no AWS credentials needed) into a
 * temporary folder, then the template's rotation resources and roles, read as data.
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
});
