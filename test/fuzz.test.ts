/**
 * Property-based fuzzing (fast-check) of every handler with random bodies, cookies and headers:
 * the HTTP handlers always answer a 2xx or 4xx, never a throw or a 5xx, and a refusal never sets a
 * token; the authorizer allows only a valid session and never throws; me serves only a complete
 * authorizer context. A run cut short by its time limit fails.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { captureLogs } from "./support/handler-checks.ts";
import { authorizerEvent, httpApiEvent, loadContainer } from "./support/in-process.ts";
import { devKey, mintToken } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;
let validToken: string;
type Handler = (event: APIGatewayProxyEventV2) => Promise<unknown>;
/** The passkey functions, loaded in the container's environment: they carry the WebAuthn library. */
let passkeyHandlers: Record<"passkeySignin" | "managePasskeys", Handler>;

beforeAll(async () => {
  captureLogs(); // the request log lines
  container = await loadContainer();
  validToken = await mintToken(devKey(container.secrets));
  passkeyHandlers = {
    passkeySignin: (await import("../functions/passkey-signin.ts")).handler as Handler,
    managePasskeys: (await import("../functions/manage-passkeys.ts")).handler as Handler,
  };
});

afterAll(async () => {
  await container?.dynamodb.stop();
  vi.restoreAllMocks();
  await container?.secrets.stop();
});

const b64url = (text: string) => Buffer.from(text).toString("base64url");

/** Strings that look like JWTs: random JSON or text in each part, or a real token bent. */
const jwtLike = fc.oneof(
  fc.tuple(fc.json(), fc.json(), fc.string()).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${b64url(s)}`),
  fc.tuple(fc.string(), fc.string(), fc.string()).map(([h, p, s]) => `${h}.${p}.${s}`),
  fc
    .record(
      {
        alg: fc.constantFrom("none", "HS256", "HS512", "RS256", "nOnE"),
        kid: fc.string(),
        typ: fc.string(),
        crit: fc.array(fc.string()),
      },
      { requiredKeys: [] },
    )
    .chain((header) => fc.tuple(fc.constant(header), fc.object()))
    .map(([header, payload]) => `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`),
  fc.nat({ max: 200 }).map((cut) => validToken.slice(0, cut) + validToken.slice(cut + 1)),
  fc.constant(null).map(() => validToken.replace(/.$/, "A")),
);

const cookieEntry = fc.oneof(
  jwtLike.map((token) => `token=${token}`),
  fc.string().map((value) => `token=${value}`),
  fc.string(),
  fc.tuple(fc.string(), fc.string()).map(([name, value]) => `${name}=${value}`),
);

const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.record({ username: fc.anything(), password: fc.anything() }, { requiredKeys: [] }).map((value) => {
    try {
      return JSON.stringify(value) ?? "";
    } catch {
      return "";
    }
  }),
  fc
    .record({ username: fc.constantFrom("user1", "__proto__", "constructor", "x".repeat(70)), password: fc.string() })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      currentPassword: fc.oneof(fc.string(), fc.anything()),
      newPassword: fc.oneof(fc.string(), fc.anything()),
    })
    .map((value) => {
      try {
        return JSON.stringify(value) ?? "";
      } catch {
        return "";
      }
    }),
);

const headers = fc.dictionary(
  fc.oneof(fc.constantFrom("content-type", "Content-Type", "cookie", "authorization"), fc.string()),
  fc.oneof(fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", ""), fc.string()),
);

const event = fc.record({
  headers,
  cookies: fc.option(fc.array(cookieEntry, { maxLength: 8 }), { nil: undefined }),
  body: fc.option(body, { nil: undefined }),
  isBase64Encoded: fc.boolean(),
});

function check(result: APIGatewayProxyStructuredResultV2, route: string) {
  const status = result.statusCode ?? 0;
  expect(status >= 200 && status < 500, `status ${status}: ${result.body}`).toBe(true);
  if (status >= 400) {
    expect(result.cookies).toBeUndefined();
    const parsed = JSON.parse(String(result.body)) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(["error", "message"]);
  } else if (route === "signin" || route === "refresh") {
    expect(result.cookies).toHaveLength(1);
  }
}

// A run that the time limit cuts short fails: a property checked on too few inputs proves little.
const budget = (numRuns: number) => ({ numRuns, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true });

it.each([
  "welcome",
  "refresh",
  "logout",
  "logoutEverywhere",
  "sessions",
  "signin",
  "changePassword",
  "signup",
] as const)("%s answers 2xx or 4xx to random events", async (route) => {
  const handler = container.handlers[route];
  await fc.assert(
    fc.asyncProperty(event, async (input) => {
      const result = (await handler(
        httpApiEvent({ rawPath: `/${route}`, ...input } as Partial<APIGatewayProxyEventV2>),
      )) as APIGatewayProxyStructuredResultV2;
      check(result, route);
    }),
    budget(route === "signin" ? 100 : route === "changePassword" || route === "signup" ? 150 : 300),
  );
});

it.each([
  ["passkeySignin", ["/signin/passkey-options", "/signin/passkey"]],
  ["managePasskeys", ["/passkeys/registration-options", "/passkeys", "/passkeys/x"]],
] as const)("%s answers 2xx or 4xx to random events on each of its routes", async (name, paths) => {
  await fc.assert(
    fc.asyncProperty(
      event,
      fc.constantFrom(...paths),
      fc.constantFrom("GET", "POST", "DELETE"),
      async (input, path, method) => {
        const base = httpApiEvent({ rawPath: path, ...input } as Partial<APIGatewayProxyEventV2>);
        const routeKey = `${method} ${path === "/passkeys/x" ? "/passkeys/{id}" : path}`;
        const result = (await passkeyHandlers[name]({
          ...base,
          routeKey,
          requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method } },
        })) as APIGatewayProxyStructuredResultV2;
        check(result, name);
      },
    ),
    budget(150),
  );
});

/** The values of the `token` cookies among `cookies`, as the authorizer reads them. */
const tokenValues = (cookies: string[]) =>
  cookies.flatMap((cookie) => {
    const eq = cookie.indexOf("=");
    const value = cookie.slice(eq + 1).trim();
    return eq >= 0 && cookie.slice(0, eq).trim() === "token" && value !== "" ? [value] : [];
  });

it("the authorizer allows only the one valid session among random cookies and headers, and never throws", async () => {
  await fc.assert(
    fc.asyncProperty(event, async (input) => {
      const cookies = input.cookies ?? [];
      const result = await container.authorize(authorizerEvent({ headers: input.headers, cookies }));
      const values = tokenValues(cookies);
      expect(result.isAuthorized).toBe(values.length === 1 && values[0] === validToken);
    }),
    budget(300),
  );
});

it("me serves only a complete authorizer context, and answers anything else with a generic 500", async () => {
  const context = fc.record(
    {
      username: fc.oneof(fc.constant("user1"), fc.anything()),
      authTime: fc.oneof(fc.nat(), fc.anything()),
      expiresAt: fc.oneof(fc.nat(), fc.anything()),
      sid: fc.oneof(fc.constant("s".repeat(22)), fc.anything()),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(fc.option(context, { nil: undefined }), async (lambda) => {
      const input = httpApiEvent({ rawPath: "/me" });
      const result = (await container.me({
        ...input,
        requestContext: { ...input.requestContext, authorizer: { lambda } },
      } as never)) as APIGatewayProxyStructuredResultV2;
      expect([200, 500]).toContain(result.statusCode);
      const body = JSON.parse(String(result.body)) as Record<string, unknown>;
      // As JSON carries it: -0, which the generator may draw, is written 0.
      if (result.statusCode === 200) expect(body).toEqual(JSON.parse(JSON.stringify(lambda)));
      else expect(Object.keys(body).sort()).toEqual(["error", "message", "requestId"]);
    }),
    budget(300),
  );
});
