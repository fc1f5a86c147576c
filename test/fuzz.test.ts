/**
 * Property-based fuzzing (fast-check) of every handler with random bodies, cookies and headers:
 * the answer is always a 2xx or 4xx, never a throw or a 5xx, and a refusal never sets a token.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer } from "./support/in-process.ts";
import { devKey, mintToken } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;
let validToken: string;

beforeAll(async () => {
  captureLogs(); // the request log lines
  container = await loadContainer();
  validToken = await mintToken(devKey(container.secrets));
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
  } else if (route !== "logout" && route !== "welcome") {
    expect(result.cookies).toHaveLength(1);
  }
}

it.each(["welcome", "refresh", "logout", "signin", "changePassword", "signup"] as const)(
  "%s answers 2xx or 4xx to random events",
  async (route) => {
    const handler = container.handlers[route];
    await fc.assert(
      fc.asyncProperty(event, async (input) => {
        const result = (await handler(
          httpApiEvent({ rawPath: `/${route}`, ...input } as Partial<APIGatewayProxyEventV2>),
        )) as APIGatewayProxyStructuredResultV2;
        check(result, route);
      }),
      {
        numRuns: route === "welcome" || route === "refresh" || route === "logout" ? 300 : 150,
        interruptAfterTimeLimit: 20_000,
      },
    );
  },
);
