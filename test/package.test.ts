/**
 * What `npm run deploy` would create, as CloudFormation sees it: `osls package` (no AWS credentials
 * needed) into a temporary folder, then the template's functions, routes, secrets, throttling,
 * rotation resources and roles, read as data; and the bundles each function's zip ships, held to
 * the size and content promises of docs/performance.md.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
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
    expect(routes.sort()).toEqual(["GET /logout", "GET /welcome", "POST /logout", "POST /refresh", "POST /signin"]);
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

/** The files in a function's zip, as Lambda unpacks it, by path. */
async function shipped(name: string): Promise<Map<string, string>> {
  const zip = await JSZip.loadAsync(readFileSync(join(folder, `${name}.zip`)));
  const files = new Map<string, string>();
  for (const file of Object.values(zip.files)) if (!file.dir) files.set(file.name, await file.async("string"));
  return files;
}

async function bundle(name: string, file: string): Promise<string> {
  const code = (await shipped(name)).get(`functions/${file}.mjs`);
  if (code === undefined) throw new Error(`${name}.zip has no functions/${file}.mjs`);
  return code;
}

const KEY_FUNCTIONS = [
  ["signin", "signin"],
  ["welcome", "welcome"],
  ["refresh", "refresh"],
  ["rotateSigningKey", "rotate-signing-key"],
] as const;
// Strings that survive minification: an SDK operation, a jose error code, and settings only the
// SDK's default credential chain reads (SSO, credential_process, web identity). Asserted as
// booleans, so that a failure names the marker instead of printing a whole bundle.
const SDK_MARKER = "GetSecretValue";
const JOSE_MARKER = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";
const DEFAULT_CHAIN_MARKERS = ["sso_start_url", "credential_process", "AWS_WEB_IDENTITY_TOKEN_FILE"];

describe("the packaged bundles", () => {
  it("ships each function as one bundle, without a source map", async () => {
    for (const [name, file] of [...KEY_FUNCTIONS, ["logout", "logout"]]) {
      expect([...(await shipped(name)).keys()]).toEqual([`functions/${file}.mjs`]);
    }
  });

  it("keeps each key-using bundle within 330,000 bytes, with the SDK and jose inside", async () => {
    for (const [name, file] of KEY_FUNCTIONS) {
      const code = await bundle(name, file);

      expect(Buffer.byteLength(code), name).toBeLessThanOrEqual(330_000);
      expect(code.includes(SDK_MARKER), `${name} ships the SDK`).toBe(true);
    }
    expect((await bundle("welcome", "welcome")).includes(JOSE_MARKER)).toBe(true);
  });

  it("keeps logout within 25,000 bytes, with neither the AWS SDK nor jose", async () => {
    const code = await bundle("logout", "logout");

    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(25_000);
    expect(code.includes(SDK_MARKER), "logout ships the SDK").toBe(false);
    expect(code.includes(JOSE_MARKER), "logout ships jose").toBe(false);
  });

  it("ships only Lambda's credentials from the environment, not the SDK's default chain", async () => {
    for (const [name, file] of KEY_FUNCTIONS) {
      const code = await bundle(name, file);
      for (const marker of DEFAULT_CHAIN_MARKERS) expect(code.includes(marker), `${name} ships ${marker}`).toBe(false);
    }
  });
});
