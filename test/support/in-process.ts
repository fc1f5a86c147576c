/**
 * Loads the real handlers in this process, as a Lambda container would, with the real SDK clients
 * talking over HTTP to local Secrets Manager and DynamoDB endpoints on free ports. Each call is a
 * new container: fresh copies of our modules (vi.resetModules) read an environment made of the
 * process's first one and the container's own, so no earlier container's settings leak into it,
 * even when test files share a process (vitest.config.ts).
 */
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { vi } from "vitest";
import { authorizerEvent, httpApiEvent } from "../../local/gateway-events.ts";
import { localSdkEnvironment } from "../../local/sdk-env.ts";
import { type AsyncOperation, LocalSecretsManager } from "../../local/secrets-endpoint.ts";
import { loadConfig } from "../../shared/core/config.ts";
import { Client, type Reply } from "./client.ts";
import { ensureDevKeyOn, startTables } from "./service.ts";

/** The environment this process started with (kept on globalThis, which outlives module resets). */
function firstEnvironment(): NodeJS.ProcessEnv {
  const holder = globalThis as { firstEnvironment?: NodeJS.ProcessEnv };
  holder.firstEnvironment ??= { ...process.env };
  return holder.firstEnvironment;
}

/**
 * Makes the next imports of our modules a new container's: fresh copies (vi.resetModules) reading
 * an environment made of the process's first one and `env`, so nothing an earlier container or
 * test file set reaches it (test files share processes: vitest.config.ts).
 */
export function newContainerEnvironment(env: Record<string, string>): void {
  process.env = { ...firstEnvironment(), ...env };
  vi.resetModules();
}

export async function loadContainer(
  env: Record<string, string> = {},
  /** Extra operations for the local Secrets Manager endpoint (RotateSecret). */
  extraOperations?: Record<string, AsyncOperation>,
) {
  const secrets = await new LocalSecretsManager({ port: 0, ...(extraOperations ? { extraOperations } : {}) }).start();
  const fullEnv = { STAGE: "dev", ...env };
  const config = loadConfig(fullEnv);
  await ensureDevKeyOn(secrets, config);
  const { dynamodb, store } = await startTables(config);
  newContainerEnvironment({ ...fullEnv, ...localSdkEnvironment(secrets.url, dynamodb.url) });
  const [signin, welcome, refresh, logout, logoutEverywhere, sessions, changePassword, signup, authorize, me, runtime] =
    await Promise.all([
      import("../../functions/signin.ts"),
      import("../../functions/welcome.ts"),
      import("../../functions/refresh.ts"),
      import("../../functions/logout.ts"),
      import("../../functions/logout-everywhere.ts"),
      import("../../functions/sessions.ts"),
      import("../../functions/change-password.ts"),
      import("../../functions/signup.ts"),
      import("../../functions/authorize.ts"),
      import("../../functions/me.ts"),
      import("../../shared/runtime.ts"),
    ]);
  const container = {
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
      /** GET /sessions, DELETE /sessions/{id}, POST /logout-others. */
      sessions: sessions.handler,
      changePassword: changePassword.handler,
      signup: signup.handler,
    },
    /** The session authorizer, and the route behind it: other event shapes than the handlers'. */
    authorize: authorize.handler,
    me: me.handler,
    /** Forgets every cached secret, as a new container would start. */
    coldStart() {
      runtime.signingKeys.clear();
    },
    /** A cookie jar calling these handlers as API Gateway would route its requests (see InProcessClient). */
    client(options: { userAgent?: string; sourceIp?: string } = {}): InProcessClient {
      return new InProcessClient(container, options);
    },
    stop: async () => {
      await dynamodb.stop();
      await secrets.stop();
    },
  };
  return container;
}

type Container = Omit<Awaited<ReturnType<typeof loadContainer>>, "client">;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * A browser's cookie jar (the HTTP tests' Client) whose requests go to the handlers in this
 * process, routed as the HTTP API routes them: the cookies in event.cookies, the answer's
 * `cookies` as Set-Cookie headers, GET /me through the session authorizer first (API Gateway's
 * own 401 without a cookie, 403 when denied, and the route never runs then).
 */
export class InProcessClient extends Client {
  constructor(
    private readonly container: Container,
    private readonly options: { userAgent?: string; sourceIp?: string } = {},
  ) {
    super("https://example.com");
  }

  override async request(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const url = `${this.baseUrl}${path}`;
    const jarCookies = (await this.jar.getCookies(url)).map((cookie) => cookie.cookieString());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
    if (this.options.userAgent !== undefined) headers["user-agent"] ??= this.options.userAgent;
    const id = path.match(/^\/sessions\/([^/]+)$/)?.[1];
    const routePath = id === undefined ? path : "/sessions/{id}";
    const base = httpApiEvent({ rawPath: path });
    const event: APIGatewayProxyEventV2 = {
      ...base,
      routeKey: `${method} ${routePath}`,
      headers,
      ...(jarCookies.length === 0 ? {} : { cookies: jarCookies }),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(id === undefined ? {} : { pathParameters: { id: decodeURIComponent(id) } }),
      requestContext: {
        ...base.requestContext,
        routeKey: `${method} ${routePath}`,
        http: {
          ...base.requestContext.http,
          method,
          path,
          sourceIp: this.options.sourceIp ?? "127.0.0.1",
          userAgent: headers["user-agent"] ?? "",
        },
      },
    };
    const result = await this.route(method, routePath, event);
    const setCookies = result.cookies ?? [];
    for (const header of setCookies) await this.jar.setCookie(header, url);
    const text = String(result.body ?? "");
    const replyHeaders = new Headers();
    for (const [name, value] of Object.entries(result.headers ?? {})) replyHeaders.set(name, String(value));
    return { status: result.statusCode ?? 200, headers: replyHeaders, setCookies, text, json: () => JSON.parse(text) };
  }

  private async route(method: string, path: string, event: APIGatewayProxyEventV2): Promise<Result> {
    const { handlers } = this.container;
    const key = `${method} ${path}`;
    const call = (handler: (event: APIGatewayProxyEventV2) => unknown) => handler(event) as Promise<Result>;
    switch (key) {
      case "POST /signin":
        return call(handlers.signin);
      case "GET /welcome":
        return call(handlers.welcome);
      case "POST /refresh":
        return call(handlers.refresh);
      case "POST /logout":
      case "GET /logout":
        return call(handlers.logout);
      case "POST /logout-everywhere":
        return call(handlers.logoutEverywhere);
      case "GET /sessions":
      case "DELETE /sessions/{id}":
      case "POST /logout-others":
        return call(handlers.sessions);
      case "POST /password":
        return call(handlers.changePassword);
      case "POST /signup":
        return call(handlers.signup);
      case "GET /me":
        return this.me(event);
      default:
        throw new Error(`no route ${key}`);
    }
  }

  /** The authorizer's identity source is the Cookie header: without one, 401 before it runs. */
  private async me(event: APIGatewayProxyEventV2): Promise<Result> {
    const refusal = (statusCode: number, message: string): Result => ({
      statusCode,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message }),
    });
    if (event.cookies === undefined) return refusal(401, "Unauthorized");
    const decision = (await this.container.authorize(
      authorizerEvent({ headers: event.headers, cookies: event.cookies }),
    )) as APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;
    if (!decision.isAuthorized) return refusal(403, "Forbidden");
    return (await this.container.me({
      ...event,
      requestContext: { ...event.requestContext, authorizer: { lambda: decision.context } },
    } as never)) as Result;
  }
}

// The builders live beside the local endpoints, so that the bench uses them without importing test/.
export { authorizerEvent, httpApiEvent, postEvent, signInEvent } from "../../local/gateway-events.ts";
