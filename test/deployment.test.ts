/**
 * What `npm run deploy` would create, read from the CloudFormation template that `osls package`
 * builds offline, without AWS credentials.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
let resources: Record<string, Resource>;
const outDir = mkdtempSync(join(tmpdir(), "sls-package-"));
const workFolder = `.esbuild-test-package-${process.pid}`;

beforeAll(async () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ESBUILD_WORK_FOLDER: workFolder };
  await promisify(execFile)(process.execPath, ["node_modules/osls/bin/serverless.js", "package", "--package", outDir], {
    env,
    timeout: 120_000,
  });
  const template = JSON.parse(readFileSync(join(outDir, "cloudformation-template-update-stack.json"), "utf8"));
  resources = template.Resources;
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(workFolder, { recursive: true, force: true });
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe("the packaged stack", () => {
  it("runs the four HTTP functions on nodejs22.x, arm64", () => {
    const functions = ofType("AWS::Lambda::Function").map(([, r]) => r.Properties);
    const http = functions.filter((f) => /-(signin|welcome|refresh|logout)$/.test(String(f.FunctionName)));
    expect(http).toHaveLength(4);
    for (const fn of http) expect(fn).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"] });
  });

  it("routes POST /signin, GET /welcome, POST /refresh, POST and GET /logout", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(["GET /logout", "GET /welcome", "POST /logout", "POST /refresh", "POST /signin"]);
  });

  it("lets the HTTP functions only read the two secrets", () => {
    const role = resources.IamRoleLambdaExecution as Resource;
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[])
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Action).includes("secretsmanager"));
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [{ Ref: "SigningKeySecret" }, { Ref: "UsersSecret" }],
      },
    ]);
  });

  it("creates the signing key as a generated random JWK and an empty user directory", () => {
    expect(resources.SigningKeySecret?.Properties).toMatchObject({
      Name: "serverless-jwt-auth/dev/signing-key",
      GenerateSecretString: {
        SecretStringTemplate: '{"kty":"oct","alg":"HS256"}',
        GenerateStringKey: "k",
        PasswordLength: 43,
        ExcludePunctuation: true,
      },
    });
    expect(resources.UsersSecret?.Properties).toMatchObject({
      Name: "serverless-jwt-auth/dev/users",
      SecretString: "{}",
    });
  });

  it("throttles sign-in tighter than the other routes at API Gateway", () => {
    const stage = ofType("AWS::ApiGatewayV2::Stage")[0]?.[1] as Resource;
    const defaults = stage.Properties.DefaultRouteSettings as Record<string, number>;
    const signin = (stage.Properties.RouteSettings as Record<string, Record<string, number>>)["POST /signin"];
    expect(defaults.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(signin?.ThrottlingRateLimit).toBeLessThan(Number(defaults.ThrottlingRateLimit));
    expect(signin?.ThrottlingBurstLimit).toBeLessThan(Number(defaults.ThrottlingBurstLimit));
    expect(stage.DependsOn).toContain("HttpApiRoutePostSignin");
  });

  it("gives the functions their settings and no local endpoint", () => {
    const signin = ofType("AWS::Lambda::Function").find(([name]) => name === "SigninLambdaFunction")?.[1] as Resource;
    const variables = (signin.Properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables).toMatchObject({ STAGE: "dev", TOKEN_TTL_SECONDS: "300", REFRESH_WINDOW_SECONDS: "30" });
    expect(Object.keys(variables).filter((name) => name.startsWith("AWS_"))).toEqual([]);
  });
});
