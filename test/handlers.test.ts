/**
 * The real handlers called with events shaped as AWS sends them (payload 2.0: cookies only in
 * `event.cookies`, no Cookie header), reading the local Secrets Manager through the real SDK.
 * Hostile sign-in bodies and cookie headers: each gets a 4xx and no token, never a 5xx.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { captureLogs } from "./support/handler-checks.ts";
import { httpApiEvent, loadContainer, postEvent, signInEvent } from "./support/in-process.ts";
import { testPasswords } from "./support/memory-store.ts";
import { devKey, liveToken, mintToken } from "./support/tokens.ts";

let container: Awaited<ReturnType<typeof loadContainer>>;

beforeAll(async () => {
  captureLogs(); // the request log lines
  container = await loadContainer();
});

afterAll(async () => {
  await container?.dynamodb.stop();
  vi.restoreAllMocks();
  await container?.secrets.stop();
});

type Result = APIGatewayProxyStructuredResultV2;

const call = async (name: keyof typeof container.handlers, event: APIGatewayProxyEventV2) =>
  (await container.handlers[name](event)) as Result;

const welcomeEvent = (cookies?: string[], headers: Record<string, string> = {}) =>
  httpApiEvent({ rawPath: "/welcome", headers, ...(cookies === undefined ? {} : { cookies }) });

function expectRefusal(result: Result, status: number, code: string) {
  expect(result.statusCode).toBe(status);
  expect(result.headers).toMatchObject({
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });
  expect(JSON.parse(String(result.body))).toEqual({ error: code, message: expect.any(String) });
  expect(result.cookies).toBeUndefined();
}

describe("cookies as HTTP API payload 2.0 delivers them", () => {
  it("reads the token from event.cookies when there is no Cookie header, as on AWS", async () => {
    const token = await mintToken(devKey(container.secrets));
    const result = await call("welcome", welcomeEvent(["theme=dark", `token=${token}`]));
    expect(result).toMatchObject({ statusCode: 200, body: "Welcome user1!" });
  });

  it("does not read the Cookie header, which AWS does not pass to the function", async () => {
    const token = await mintToken(devKey(container.secrets));
    expectRefusal(await call("welcome", welcomeEvent(undefined, { cookie: `token=${token}` })), 401, "missing_token");
  });

  it("refuses two token cookies as ambiguous rather than guessing which one is planted", async () => {
    const key = devKey(container.secrets);
    const [mine, planted] = [await mintToken(key), await mintToken(key, { claims: { sub: "user2" } })];
    expectRefusal(await call("welcome", welcomeEvent([`token=${mine}`, `token=${planted}`])), 401, "ambiguous_token");
    expectRefusal(await call("refresh", welcomeEvent([`token=${mine}`, `token=${planted}`])), 401, "ambiguous_token");
  });

  it("ends the session of each valid token at logout when two are sent, so the caller's own never outlives it", async () => {
    const key = devKey(container.secrets);
    const [mine, planted] = [await liveToken(container.store, key), await liveToken(container.store, key)];
    const sidOf = (token: string) =>
      String(JSON.parse(Buffer.from(String(token.split(".")[1]), "base64url").toString()).sid);

    const result = await call(
      "logout",
      httpApiEvent({
        rawPath: "/logout",
        cookies: [`token=${mine}`, "token=not-a-jwt", `token=${planted}`],
        requestContext: { http: { method: "POST", path: "/logout" } } as never,
      }),
    );

    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ message: "Signed out." }) });
    expect(result.cookies).toEqual(["token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict"]);
    await expect(container.store.getSession(sidOf(mine))).resolves.toBeUndefined();
    await expect(container.store.getSession(sidOf(planted))).resolves.toBeUndefined();
  });

  it("refuses a 64 KB token cookie before parsing it, even one signed with the real key", async () => {
    const padding = "p".repeat(48 * 1024);
    const token = await mintToken(devKey(container.secrets), { claims: { padding } });
    container.coldStart(); // verifying any token would now have to read the key from the store
    container.secrets.resetCalls();

    const result = await call("welcome", welcomeEvent([`token=${token}`]));

    expect(token.length).toBeGreaterThan(64 * 1024);
    expectRefusal(result, 401, "invalid_token");
    expect(container.secrets.count("GetSecretValue")).toBe(0);
  });

  it("refuses a token whose kid is kilobytes long", async () => {
    const token = await mintToken(devKey(container.secrets), { header: { kid: "k".repeat(3000) } });
    expectRefusal(await call("welcome", welcomeEvent([`token=${token}`])), 401, "invalid_token");
  });

  it("answers hundreds of cookies without a token with 401, and finds a token among them", async () => {
    const junk = Array.from({ length: 500 }, (_, i) => `c${i}=${"x".repeat(50)}`);
    expectRefusal(await call("welcome", welcomeEvent(junk)), 401, "missing_token");
    const token = await mintToken(devKey(container.secrets));
    expect((await call("welcome", welcomeEvent([...junk, `token=${token}`]))).statusCode).toBe(200);
  });

  it.each([
    ["an empty token cookie", ["token="]],
    ["a cookie without a value", ["token"]],
    ["non-string entries", [42, null, { token: "x" }] as unknown as string[]],
  ])("answers %s with 401 missing_token", async (_name, cookies) => {
    expectRefusal(await call("welcome", welcomeEvent(cookies)), 401, "missing_token");
  });
});

describe("POST /signup while SIGNUP is closed (the default)", () => {
  it.each([
    ["a well-formed body", { username: "someone-new", password: "a long and quiet river" }, "application/json"],
    ["a text body", "hello", "text/plain"],
    ["no body", "", "application/json"],
  ])("answers 403 signup_closed to %s, and creates nothing", async (_name, body, type) => {
    const result = await container.handlers.signup(postEvent("/signup", body, { headers: { "content-type": type } }));

    expectRefusal(result as Result, 403, "signup_closed");
    expect(await container.store.getUser("someone-new")).toBeUndefined();
  });

  it("is open in a new container with SIGNUP=open, and closed again in the next one (files share processes)", async () => {
    const body = { username: "after-open", password: "a long and quiet river" };
    const open = await loadContainer({ SIGNUP: "open" });
    try {
      expect(((await open.handlers.signup(postEvent("/signup", body))) as Result).statusCode).toBe(201);
    } finally {
      await open.stop();
    }
    const next = await loadContainer();
    try {
      expectRefusal((await next.handlers.signup(postEvent("/signup", body))) as Result, 403, "signup_closed");
    } finally {
      await next.stop();
    }
  });
});

describe("sign-in input", () => {
  const good = { username: "user1", password: "password1" };

  it("signs in with a JSON body and answers the cookie in `cookies`", async () => {
    const result = await call("signin", signInEvent(good));
    expect(result.statusCode).toBe(200);
    expect(result.cookies).toEqual([
      expect.stringMatching(/^token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Strict$/),
    ]);
  });

  it("refuses the right password against a stored hash cheaper than the accepted range", async () => {
    // The memory tests' hasher (N=2^10): the functions must be wired to the shipped range instead.
    await container.store.addUser("cheap-hash", await testPasswords.hash("password1"), Date.now() - 1000);

    expectRefusal(
      await call("signin", signInEvent({ username: "cheap-hash", password: "password1" })),
      401,
      "invalid_credentials",
    );
  });

  it("accepts application/json with a charset, in any letter case", async () => {
    const result = await call("signin", signInEvent(good, { "Content-Type": "Application/JSON; charset=utf-8" }));
    expect(result.statusCode).toBe(200);
  });

  it.each([
    ["an HTML form", "application/x-www-form-urlencoded", "username=user1&password=password1"],
    ["multipart", "multipart/form-data; boundary=x", "--x--"],
    ["text/plain", "text/plain", JSON.stringify({ username: "user1", password: "password1" })],
    ["a JSON look-alike", "application/json-patch+json", JSON.stringify({ username: "user1", password: "password1" })],
  ])("refuses %s with 415 (no login CSRF from forms or simple requests)", async (_name, contentType, body) => {
    expectRefusal(
      await call("signin", signInEvent(body, { "content-type": contentType })),
      415,
      "unsupported_media_type",
    );
  });

  it("refuses a body without a Content-Type with 415", async () => {
    expectRefusal(await call("signin", signInEvent(good, {})), 415, "unsupported_media_type");
  });

  it("refuses a body over 4 KB with 413 before parsing it", async () => {
    // Not JSON either: had it been parsed first, the answer would be 400 invalid_json.
    const body = `{"username":"user1","password":"${"p".repeat(5000)}`;
    expectRefusal(await call("signin", signInEvent(body)), 413, "payload_too_large");
  });

  it.each([
    ["an array username", { username: ["user1"], password: "password1" }],
    ["an object username", { username: { $ne: null }, password: "password1" }],
    ["a numeric username", { username: 1, password: "password1" }],
    ["a null password", { username: "user1", password: null }],
    ["a boolean password", { username: "user1", password: true }],
    ["an array password", { username: "user1", password: ["password1"] }],
    ["no username", { password: "password1" }],
    ["a NUL byte in the password", { username: "user1", password: "password1\u0000" }],
  ])("refuses %s with 400", async (_name, body) => {
    expectRefusal(await call("signin", signInEvent(body)), 400, "invalid_request");
  });

  it.each([
    ["__proto__", { username: "__proto__", password: "x" }],
    ["constructor", { username: "constructor", password: "password1" }],
    ["toString", { username: "toString", password: "password1" }],
    ["hasOwnProperty", { username: "hasOwnProperty", password: "password1" }],
    ["a NUL byte in the username", { username: "user1\u0000", password: "password1" }],
    ["a 65-character username", { username: "u".repeat(65), password: "password1" }],
    ["a 257-character password", { username: "user1", password: "p".repeat(257) }],
    ["an empty password", { username: "user1", password: "" }],
    ["a Unicode look-alike of user1", { username: "user\u0031\u0301", password: "password1" }],
  ])("refuses %s as a username or password with 401 invalid_credentials", async (_name, body) => {
    expectRefusal(await call("signin", signInEvent(body)), 401, "invalid_credentials");
  });

  it("ignores prototype keys in the body: a __proto__ carrying credentials signs nobody in", async () => {
    const body = '{"__proto__":{"username":"user1","password":"password1"}}';
    expectRefusal(await call("signin", signInEvent(body)), 400, "invalid_request");
  });

  it.each([
    ["invalid JSON", "{username:user1}"],
    ["a JSON array", "[]"],
    ["a JSON number", "1"],
    ["deeply nested arrays", `${"[".repeat(2000)}${"]".repeat(2000)}`],
    ["deeply nested objects", `${'{"a":'.repeat(800)}1${"}".repeat(800)}`.slice(0, 4000)],
  ])("refuses %s with 400", async (_name, body) => {
    expectRefusal(await call("signin", signInEvent(body)), 400, "invalid_json");
  });

  it("refuses a base64 body that is not valid UTF-8 with 400", async () => {
    const event = signInEvent("");
    event.isBase64Encoded = true;
    event.body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString("base64");
    expectRefusal(await call("signin", event), 400, "invalid_json");
  });

  it("reads a base64-encoded JSON body as API Gateway may deliver it", async () => {
    const event = signInEvent("");
    event.isBase64Encoded = true;
    event.body = Buffer.from(JSON.stringify(good)).toString("base64");
    expect((await call("signin", event)).statusCode).toBe(200);
  });
});
