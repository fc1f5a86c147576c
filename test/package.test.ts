/**
 * What `npm run deploy` would create, as CloudFormation sees it: the one `osls package` of the
 * package tests (test/support/package.ts), then the template's functions, routes, secrets,
 * throttling, rotation resources and roles, read as data; and the bundles each function's zip
 * ships, held to the size and content promises of docs/performance.md.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";
import JSZip from "jszip";
import { beforeAll, describe, expect, it } from "vitest";
import { packagedFolder, packagedResources } from "./support/package.ts";
import { ROUTES } from "./support/routes.ts";

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

// serverless.yml reads the HTTP API's CORS from this file (`${file(./serverless-cors.cjs)}`).
const { corsFor } = createRequire(import.meta.url)("../serverless-cors.cjs") as {
  corsFor: (env: Record<string, string>) => unknown;
};
let folder: string;
let resources: Record<string, Resource>;

beforeAll(() => {
  folder = packagedFolder();
  resources = packagedResources<Resource>();
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
    const role = resource("RotateSigningKeyRole");

    expect(fn.Properties.Role).toEqual({ "Fn::GetAtt": ["RotateSigningKeyRole", "Arn"] });
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

  it("gives each HTTP function, the page and the authorizer a role of its own with only the calls its code makes", () => {
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
    const byUsername = {
      Effect: "Allow",
      Action: "dynamodb:Query",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a template
      Resource: { "Fn::Sub": "${SessionsTable.Arn}/index/by-username" },
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
        { Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: table("SessionsTable") },
        byUsername,
        logs("Signin"),
      ],
      Welcome: [key, sessionReads, logs("Welcome")],
      Refresh: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        {
          Effect: "Allow",
          Action: ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
          Resource: table("SessionsTable"),
        },
        logs("Refresh"),
      ],
      Logout: [
        key,
        { Effect: "Allow", Action: "dynamodb:DeleteItem", Resource: table("SessionsTable") },
        logs("Logout"),
      ],
      LogoutEverywhere: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        { Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: table("UsersTable") },
        logs("LogoutEverywhere"),
      ],
      Sessions: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        byUsername,
        { Effect: "Allow", Action: "dynamodb:DeleteItem", Resource: table("SessionsTable") },
        logs("Sessions"),
      ],
      ChangePassword: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        { Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: table("UsersTable") },
        {
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: table("SigninAttemptsTable"),
        },
        { Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: table("SessionsTable") },
        byUsername,
        logs("ChangePassword"),
      ],
      // Sign-up creates a user and a session: no read of users, no update, no lockout table.
      Signup: [
        key,
        { Effect: "Allow", Action: "dynamodb:PutItem", Resource: table("UsersTable") },
        { Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: table("SessionsTable") },
        byUsername,
        logs("Signup"),
      ],
      // The authorizer verifies as welcome does; me trusts what the authorizer passed.
      Authorize: [key, sessionReads, logs("Authorize")],
      Me: [logs("Me")],
      Page: [logs("Page")],
      // Signing in with a passkey: challenges in and out, the passkey read and its count
      // recorded (never created or removed), the user read, a session written.
      PasskeySignin: [
        key,
        {
          Effect: "Allow",
          Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: table("PasskeyChallengesTable"),
        },
        { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: table("PasskeysTable") },
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: table("UsersTable") },
        { Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: table("SessionsTable") },
        byUsername,
        logs("PasskeySignin"),
      ],
      // Managing passkeys: a live session, the user handle, the password's lockout, the passkeys.
      ManagePasskeys: [
        key,
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: [table("SessionsTable"), table("UsersTable")] },
        { Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: table("UsersTable") },
        {
          Effect: "Allow",
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: table("SigninAttemptsTable"),
        },
        {
          Effect: "Allow",
          Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: [table("PasskeysTable"), table("PasskeyChallengesTable")],
        },
        {
          Effect: "Allow",
          Action: "dynamodb:Query",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a template
          Resource: { "Fn::Sub": "${PasskeysTable.Arn}/index/byUsername" },
        },
        logs("ManagePasskeys"),
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
    expect(tables.map(([name]) => name).sort()).toEqual([
      "PasskeyChallengesTable",
      "PasskeysTable",
      "SessionsTable",
      "SigninAttemptsTable",
      "UsersTable",
    ]);
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
      // The sid is the table's key, so the index holds it too; no route ever answers with it.
      GlobalSecondaryIndexes: [
        {
          IndexName: "by-username",
          KeySchema: [{ AttributeName: "username", KeyType: "HASH" }],
          Projection: {
            ProjectionType: "INCLUDE",
            NonKeyAttributes: ["authTime", "createdAt", "expiresAt", "handle", "device", "ip", "lastActiveAt"],
          },
        },
      ],
    });
    expect(resource("SigninAttemptsTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-signin-attempts",
      KeySchema: [{ AttributeName: "username", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    expect(resource("PasskeysTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-passkeys",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byUsername",
          KeySchema: [{ AttributeName: "username", KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
    expect(resource("PasskeysTable").Properties).not.toHaveProperty("TimeToLiveSpecification");
    expect(resource("PasskeyChallengesTable").Properties).toMatchObject({
      TableName: "serverless-jwt-auth-dev-passkey-challenges",
      KeySchema: [{ AttributeName: "challenge", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("runs every function on nodejs24.x, arm64, the HTTP ones routed as the README says", () => {
    // The bundles target node20, so the HTTP tests, which run them under serverless-offline on
    // this Node 20, prove they run there too.
    const functions = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Function");
    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
      });
    }
    const routes = Object.values(resources)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route")
      .map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([...ROUTES]);
  });

  it("configures no CORS on the HTTP API unless ALLOWED_ORIGINS is set", () => {
    // The package run sets ALLOWED_ORIGINS (test/package-cors.test.ts); false is osls's "no CORS".
    expect(corsFor({})).toBe(false);
    expect(corsFor({ ALLOWED_ORIGINS: " " })).toBe(false);
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

  it("throttles the scrypt routes (sign-in, sign-up, password) tightly and the cheap ones no lower than the account's own default", () => {
    const stage = resource("HttpApiStage");
    const defaults = stage.Properties.DefaultRouteSettings as Record<string, number>;
    const routes = stage.Properties.RouteSettings as Record<string, Record<string, number>>;

    // One client at 100 requests/s must not be able to throttle every user's refresh.
    expect(defaults.ThrottlingRateLimit).toBeGreaterThanOrEqual(10_000);
    expect(defaults.ThrottlingBurstLimit).toBeGreaterThanOrEqual(5_000);
    expect(Object.keys(routes)).toEqual(["POST /signin", "POST /signup", "POST /password"]);
    for (const route of Object.values(routes)) {
      expect(route).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    }
    expect(stage.DependsOn).toEqual(
      expect.arrayContaining(["HttpApiRoutePostSignin", "HttpApiRoutePostSignup", "HttpApiRoutePostPassword"]),
    );
  });

  it("gives the functions their settings and no local endpoint", () => {
    const variables = (resource("SigninLambdaFunction").Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    expect(variables).toMatchObject({
      STAGE: "dev",
      TOKEN_TTL_SECONDS: "300",
      REFRESH_WINDOW_SECONDS: "30",
      REFRESH_GRACE_SECONDS: "10",
      USERS_TABLE: "serverless-jwt-auth-dev-users",
      SESSIONS_TABLE: "serverless-jwt-auth-dev-sessions",
      SIGNIN_ATTEMPTS_TABLE: "serverless-jwt-auth-dev-signin-attempts",
      REVOCATION_CHECK: "refresh",
      MAX_SESSIONS_PER_USER: "20",
      PASSWORD_MIN_LENGTH: "15",
      SIGNUP: "closed",
      PASSKEYS_TABLE: "serverless-jwt-auth-dev-passkeys",
      PASSKEY_CHALLENGES_TABLE: "serverless-jwt-auth-dev-passkey-challenges",
      REAUTH_MAX_SECONDS: "300",
      WEBAUTHN_RP_ID: "",
      WEBAUTHN_ORIGINS: "",
      WEBAUTHN_RP_NAME: "serverless-jwt-auth",
    });
    expect(Object.keys(variables).filter((name) => name.startsWith("AWS_"))).toEqual([]);
  });

  it("has every function log JSON lines at INFO and above, the runtime's own from WARN", () => {
    const functions = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Function");
    for (const fn of functions) {
      expect(fn.Properties.LoggingConfig).toEqual({
        LogFormat: "JSON",
        ApplicationLogLevel: "INFO",
        SystemLogLevel: "WARN",
      });
    }
  });

  it("decides the roles' session reads by the same REVOCATION_CHECK the functions get", () => {
    const template = JSON.parse(readFileSync(join(folder, "cloudformation-template-update-stack.json"), "utf8"));
    const variables = (
      resource("WelcomeLambdaFunction").Properties.Environment as { Variables: Record<string, string> }
    ).Variables;
    expect(template.Parameters.RevocationCheck.Default).toBe(variables.REVOCATION_CHECK);
    expect(template.Conditions.RevocationCheckEveryRequest).toEqual({
      "Fn::Equals": [{ Ref: "RevocationCheck" }, "every-request"],
    });
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

/** DynamoDB's Scan operation as the SDK names it on the wire. */
const SCAN_MARKER = '"Scan"';

const KEY_FUNCTIONS = [
  ["signin", "signin"],
  ["welcome", "welcome"],
  ["refresh", "refresh"],
  ["logout", "logout"],
  ["logoutEverywhere", "logout-everywhere"],
  ["sessions", "sessions"],
  ["changePassword", "change-password"],
  ["signup", "signup"],
  ["authorize", "authorize"],
  ["rotateSigningKey", "rotate-signing-key"],
] as const;
// Strings that survive minification: an SDK operation, a jose error code, and settings only the
// SDK's default credential chain reads (SSO, credential_process, web identity). Asserted as
// booleans, so that a failure names the marker instead of printing a whole bundle.
const SDK_MARKER = "GetSecretValue";
// A string of @simplewebauthn/server's that survives minification (an error it throws).
const WEBAUTHN_MARKER = "Unexpected registration response challenge";
const PASSKEY_FUNCTIONS = [
  ["passkeySignin", "passkey-signin"],
  ["managePasskeys", "manage-passkeys"],
] as const;
const JOSE_MARKER = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";
const DEFAULT_CHAIN_MARKERS = ["sso_start_url", "credential_process", "AWS_WEB_IDENTITY_TOKEN_FILE"];
// A password of the common-password list (shared/core/common-passwords.ts) and of no other file.
const COMMON_LIST_MARKER = "Mailcreated5240";

describe("the packaged bundles", () => {
  it("ships each function as one bundle, without a source map", async () => {
    for (const [name, file] of [...KEY_FUNCTIONS, ...PASSKEY_FUNCTIONS, ["me", "me"], ["page", "page"]]) {
      expect([...(await shipped(name)).keys()]).toEqual([`functions/${file}.mjs`]);
    }
  });

  it("ships me (the template for protected routes) and the page with neither the SDK nor jose", async () => {
    // The markers are found in every bundle that has them (see the key-using bundles below).
    for (const name of ["me", "page"]) {
      const code = await bundle(name, name);

      expect(code.includes(SDK_MARKER), `${name} ships the SDK`).toBe(false);
      expect(code.includes(JOSE_MARKER), `${name} ships jose`).toBe(false);
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

  it("ships the common-password list only in the functions that set passwords", async () => {
    const carriesList = async (name: string, file: string) => (await bundle(name, file)).includes(COMMON_LIST_MARKER);
    for (const [name, file] of KEY_FUNCTIONS) {
      expect(await carriesList(name, file), name).toBe(name === "changePassword" || name === "signup");
    }
    for (const name of ["me", "page"]) expect(await carriesList(name, name), name).toBe(false);
  });

  it("ships @simplewebauthn/server in the two passkey bundles only", async () => {
    for (const [name, file] of [...KEY_FUNCTIONS, ["me", "me"], ["page", "page"]] as const) {
      const code = await bundle(name, file);
      expect(code.includes(WEBAUTHN_MARKER), `${name} ships simplewebauthn`).toBe(false);
      expect(code.includes("byUsername"), `${name} ships the passkey tables`).toBe(false);
    }
    for (const [name, file] of PASSKEY_FUNCTIONS) {
      const code = await bundle(name, file);
      expect(code.includes(WEBAUTHN_MARKER), `${name} lacks simplewebauthn`).toBe(true);
    }
  });

  it("ships no Scan in any function: the operators' CLI alone lists every user", async () => {
    // The operation's name is in every bundle that can send it, as the CLI's own bundle shows.
    const cli = await build({
      entryPoints: ["local/user-admin.ts"],
      bundle: true,
      write: false,
      minify: true,
      format: "esm",
      platform: "node",
      mainFields: ["module", "main"],
      logLevel: "silent",
    });
    expect(cli.outputFiles[0]?.text.includes(SCAN_MARKER)).toBe(true);
    for (const [name, file] of [...KEY_FUNCTIONS, ...PASSKEY_FUNCTIONS, ["me", "me"], ["page", "page"]] as const) {
      expect((await bundle(name, file)).includes(SCAN_MARKER), `${name} ships a Scan`).toBe(false);
    }
  });

  it("ships only Lambda's credentials from the environment, not the SDK's default chain", async () => {
    for (const [name, file] of KEY_FUNCTIONS) {
      const code = await bundle(name, file);
      for (const marker of DEFAULT_CHAIN_MARKERS) expect(code.includes(marker), `${name} ships ${marker}`).toBe(false);
    }
  });
});

describe("the alarms in the packaged template", () => {
  const alarm = (name: string) => {
    const found = resource(name);
    expect(found.Type).toBe("AWS::CloudWatch::Alarm");
    expect(found.Properties).toMatchObject({ AlarmActions: [{ Ref: "AlarmTopic" }], TreatMissingData: "notBreaching" });
    return found.Properties;
  };
  const emf = (name: string) => ({
    Namespace: "serverless-jwt-auth",
    MetricName: name,
    Dimensions: [{ Name: "Stage", Value: "dev" }],
    Statistic: "Sum",
    Period: 300,
  });
  const template = () =>
    JSON.parse(readFileSync(join(folder, "cloudformation-template-update-stack.json"), "utf8")) as {
      Parameters: Record<string, { Default?: string }>;
      Conditions: Record<string, unknown>;
    };

  it("alarm on failed sign-in and lockout spikes at the thresholds the environment set (settings stay strings)", () => {
    expect(alarm("SigninFailureSpikeAlarm")).toMatchObject({
      ...emf("SignInFailed"),
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: "250",
    });
    expect(alarm("LockoutSpikeAlarm")).toMatchObject({
      ...emf("SignInLocked"),
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: "40",
    });
  });

  it("alarm on any refresh reuse and any failed rotation", () => {
    expect(alarm("RefreshReuseAlarm")).toMatchObject({
      ...emf("RefreshReuse"),
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
    });
    expect(alarm("RotationErrorsAlarm")).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: "RotateSigningKeyLambdaFunction" } }],
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
    });
  });

  it("alarm on the HTTP API's 5xx rate and the 503 rate, in percent of its requests, with default thresholds", () => {
    const requests = {
      Id: "requests",
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: "AWS/ApiGateway",
          MetricName: "Count",
          Dimensions: [{ Name: "ApiId", Value: { Ref: "HttpApi" } }],
        },
        Period: 300,
        Stat: "Sum",
      },
    };
    expect(resource("HttpApi").Type).toBe("AWS::ApiGatewayV2::Api");
    expect(alarm("Api5xxRateAlarm")).toMatchObject({
      Threshold: "5",
      Metrics: [
        { Id: "rate", Expression: "IF(requests > 0, 100 * errors / requests, 0)" },
        { Id: "errors", MetricStat: { Metric: { Namespace: "AWS/ApiGateway", MetricName: "5xx" } } },
        requests,
      ],
    });
    expect(alarm("Api503RateAlarm")).toMatchObject({
      Threshold: "1",
      Metrics: [
        { Id: "rate", Expression: "IF(requests > 0, 100 * unavailable / requests, 0)" },
        {
          Id: "unavailable",
          MetricStat: { Metric: { Namespace: "serverless-jwt-auth", MetricName: "StoreUnavailable" } },
        },
        requests,
      ],
    });
  });

  it("notify one SNS topic, with ALARM_EMAIL subscribed only when it is set", () => {
    expect(resource("AlarmTopic").Type).toBe("AWS::SNS::Topic");
    expect(resource("AlarmEmailSubscription")).toMatchObject({
      Type: "AWS::SNS::Subscription",
      Condition: "AlarmEmailSet",
      Properties: { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email", Endpoint: { Ref: "AlarmEmail" } },
    });
    expect(template().Parameters.AlarmEmail?.Default).toBe("ops@example.com");
    expect(template().Conditions.AlarmEmailSet).toEqual({ "Fn::Not": [{ "Fn::Equals": [{ Ref: "AlarmEmail" }, ""] }] });
  });
});
