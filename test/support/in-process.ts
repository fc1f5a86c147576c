/**
 * Loads the real handlers in this process, as a Lambda container would, with the real SDK clients
 * talking over HTTP to local Secrets Manager and DynamoDB endpoints on free ports. Each test file
 * that calls this gets its own container (Vitest isolates modules per file).
 */
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { localSdkEnvironment } from "../../local/sdk-env.ts";
import { LocalSecretsManager } from "../../local/secrets-endpoint.ts";
import { loadConfig } from "../../shared/core/config.ts";
import { ensureDevKeyOn, startTables } from "./service.ts";

export async function loadContainer(env: Record<string, string> = {}) {
  const secrets = await new LocalSecretsManager({ port: 0 }).start();
  const fullEnv = { STAGE: "dev", ...env };
  const config = loadConfig(fullEnv);
  await ensureDevKeyOn(secrets, config);
  const { dynamodb, store } = await startTables(config);
  Object.assign(process.env, fullEnv, localSdkEnvironment(secrets.url, dynamodb.url));
  const [signin, welcome, refresh, logout, logoutEverywhere, changePassword, signup, runtime] = await Promise.all([
    import("../../functions/signin.ts"),
    import("../../functions/welcome.ts"),
    import("../../functions/refresh.ts"),
    import("../../functions/logout.ts"),
    import("../../functions/logout-everywhere.ts"),
    import("../../functions/change-password.ts"),
    import("../../functions/signup.ts"),
    import("../../shared/runtime.ts"),
  ]);
  return {
    secrets,
    dynamodb,
    store,
    runtime,
    handlers: {
      signin: signin.handler,
      welcome: welcome.handler,
      refresh: refresh.handler,
      logout: logout.handler,
      logoutEverywhere: logoutEverywhere.handler,
      changePassword: changePassword.handler,
      signup: signup.handler,
    },
    /** Forgets every cached secret, as a new container would start. */
    coldStart() {
      runtime.signingKeys.clear();
    },
  };
}

/** An API Gateway HTTP API (payload 2.0) event as AWS sends it: cookies only in `cookies`. */
export function httpApiEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  const method = overrides.requestContext?.http?.method ?? "GET";
  const path = overrides.rawPath ?? "/";
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    ...overrides,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "example.com",
      domainPrefix: "example",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "req-1",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "",
      timeEpoch: 0,
      ...overrides.requestContext,
    },
  } as APIGatewayProxyEventV2;
}

/** A sign-in event with a JSON body. */
export function signInEvent(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) {
  return postEvent("/signin", body, { headers });
}

/** A POST to `path` with a JSON body (a string is sent as it is), headers and cookies. */
export function postEvent(
  path: string,
  body: unknown,
  options: { headers?: Record<string, string>; cookies?: string[] } = {},
): APIGatewayProxyEventV2 {
  return httpApiEvent({
    rawPath: path,
    headers: options.headers ?? { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(options.cookies === undefined ? {} : { cookies: options.cookies }),
    requestContext: { http: { method: "POST", path } } as APIGatewayProxyEventV2["requestContext"],
  });
}

/**
 * An HTTP API Lambda authorizer event (payload 2.0) as AWS sends it: cookies in `cookies`, the
 * Cookie header's value as the identity source, no Cookie header among the headers.
 */
export function authorizerEvent(
  overrides: Partial<APIGatewayRequestAuthorizerEventV2> = {},
): APIGatewayRequestAuthorizerEventV2 {
  const cookies = overrides.cookies ?? [];
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: "arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/me",
    identitySource: [cookies.join("; ")],
    routeKey: "GET /me",
    rawPath: "/me",
    rawQueryString: "",
    headers: {},
    ...overrides,
    cookies,
    requestContext: httpApiEvent({ rawPath: "/me" }).requestContext,
  };
}
