/**
 * Events as API Gateway's HTTP API (payload 2.0) hands them to a function: what the in-process
 * tests and `npm run bench` call the handlers with.
 */
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";

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
