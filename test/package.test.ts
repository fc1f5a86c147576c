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
import { zipFiles } from "./support/zip.ts";

type Resource = {
  Type: string;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties: Record<string, unknown>;
};
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

  it("runs every function on nodejs24.x, arm64, the HTTP ones routed as the README says", () => {
    // The bundles target node20, so the HTTP tests, which run them under serverless-offline on
    // this Node 20, prove they run there too.
    for (const name of ["Signin", "Welcome", "Refresh", "Logout", "RotateSigningKey"]) {
      expect(resource(`${name}LambdaFunction`).Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
      });
    }
    const routes = Object.values(resources)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([
      "GET /logout",
      "GET /me",
      "GET /welcome",
      "POST /logout",
      "POST /refresh",
      "POST /signin",
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

  it("keeps every secret when the stack is deleted or the secret replaced", () => {
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === "AWS::SecretsManager::Secret");

    expect(secrets.map(([name]) => name)).toContain("SigningKeySecret");
    for (const [, secret] of secrets) {
      expect([secret.DeletionPolicy, secret.UpdateReplacePolicy]).toEqual(["Retain", "Retain"]);
    }
  });

  it("writes a JSON access log of every request, without headers or cookies, to a log group with retention", () => {
    const stage = resource("HttpApiStage");
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const format = JSON.parse(settings.Format) as Record<string, string>;

    expect(settings.DestinationArn).toEqual({ "Fn::GetAtt": ["HttpApiLogGroup", "Arn"] });
    expect(format).toMatchObject({
      requestId: "$context.requestId",
      ip: "$context.identity.sourceIp",
      route: "$context.routeKey",
      status: "$context.status",
      latencyMs: "$context.responseLatency",
      integrationError: "$context.integrationErrorMessage",
    });
    for (const variable of Object.values(format)) {
      expect(variable).toMatch(/^\$context\.[A-Za-z.]+$/);
      expect(variable).not.toMatch(/header|cookie|userAgent|querystring|authorizer/i);
    }
    expect(resource("HttpApiLogGroup").Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it("throttles sign-in tightly and the cheap routes no lower than the account's own default", () => {
    const stage = resource("HttpApiStage");
    const defaults = stage.Properties.DefaultRouteSettings as Record<string, number>;
    const routes = stage.Properties.RouteSettings as Record<string, Record<string, number>>;

    // One client at 100 requests/s must not be able to throttle every user's refresh.
    expect(defaults.ThrottlingRateLimit).toBeGreaterThanOrEqual(10_000);
    expect(defaults.ThrottlingBurstLimit).toBeGreaterThanOrEqual(5_000);
    expect(Object.keys(routes)).toEqual(["POST /signin"]);
    expect(routes["POST /signin"]).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    expect(stage.DependsOn).toContain("HttpApiRoutePostSignin");
  });

  it("gives the functions their settings and no local endpoint", () => {
    const variables = (resource("SigninLambdaFunction").Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    expect(variables).toMatchObject({ STAGE: "dev", TOKEN_TTL_SECONDS: "300", REFRESH_WINDOW_SECONDS: "30" });
    expect(Object.keys(variables).filter((name) => name.startsWith("AWS_"))).toEqual([]);
  });

  it("declares the session authorizer: REQUEST on the Cookie header, payload 2.0, simple responses, no cache", () => {
    expect(resource("HttpApiAuthorizerSession").Properties).toMatchObject({
      ApiId: { Ref: "HttpApi" },
      Name: "session",
      AuthorizerType: "REQUEST",
      IdentitySource: ["$request.header.Cookie"],
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
    });
    const uri = JSON.stringify(resource("HttpApiAuthorizerSession").Properties.AuthorizerUri);
    expect(uri).toContain('{"Fn::GetAtt":["AuthorizeLambdaFunction","Arn"]}');
  });

  it("puts GET /me behind the authorizer and leaves the service's own routes to their handlers", () => {
    const routes = Object.values(resources).filter((r) => r.Type === "AWS::ApiGatewayV2::Route");
    const guarded = routes.filter((r) => r.Properties.AuthorizationType === "CUSTOM");

    expect(guarded.map((r) => r.Properties.RouteKey)).toEqual(["GET /me"]);
    expect(guarded[0]?.Properties.AuthorizerId).toEqual({ Ref: "HttpApiAuthorizerSession" });
  });

  it("lets API Gateway, and only this API, invoke the authorizer", () => {
    expect(resource("SessionLambdaAuthorizerPermissionHttpApi").Properties).toMatchObject({
      FunctionName: { "Fn::GetAtt": ["AuthorizeLambdaFunction", "Arn"] },
      Action: "lambda:InvokeFunction",
      Principal: "apigateway.amazonaws.com",
    });
    const source = JSON.stringify(resource("SessionLambdaAuthorizerPermissionHttpApi").Properties.SourceArn);
    expect(source).toContain('{"Ref":"HttpApi"}');
  });

  it("gives the authorizer a role that reads the signing key and writes its own log, nothing else", () => {
    expect(resource("AuthorizeLambdaFunction").Properties.Role).toEqual({ "Fn::GetAtt": ["AuthorizeRole", "Arn"] });
    expect(statements(resource("AuthorizeRole"))).toEqual([
      { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: { Ref: "SigningKeySecret" } },
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": ["AuthorizeLogGroup", "Arn"] },
      },
    ]);
  });

  it("gives me a role that only writes its own log: it reads no secret", () => {
    expect(resource("MeLambdaFunction").Properties.Role).toEqual({ "Fn::GetAtt": ["MeRole", "Arn"] });
    expect(statements(resource("MeRole"))).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": ["MeLogGroup", "Arn"] },
      },
    ]);
  });

  it("ships me, the template for protected routes, in under 25 KB with neither jose nor the AWS SDK", () => {
    const files = zipFiles(readFileSync(join(folder, "me.zip")));
    const bundle = files.get("functions/me.mjs");

    expect([...files.keys()]).toEqual(["functions/me.mjs"]);
    expect(bundle?.length).toBeLessThan(25 * 1024);
    expect(String(bundle)).not.toMatch(/ERR_JW[STK]|aws-sdk|secretsmanager/);
    // The same markers are found in a bundle that has them, so their absence above means something.
    expect(String(zipFiles(readFileSync(join(folder, "welcome.zip"))).get("functions/welcome.mjs"))).toMatch(
      /ERR_JWS.*aws-sdk|aws-sdk.*ERR_JWS/s,
    );
  });
});
