/**
 * `npm start` answers as API Gateway would, and its extra endpoint serves no web page: the
 * serverless-offline settings in serverless.yml and local/offline-fidelity.cjs, over HTTP.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Client, rawHttp } from "./support/client.ts";
import { type SharedService, sharedService } from "./support/shared-service.ts";

let service: SharedService;

beforeAll(() => {
  service = sharedService();
});

const CREDENTIALS = JSON.stringify({ username: "user1", password: "password1" });

function welcomeWithCookieHeader(cookie: string) {
  return rawHttp(
    service.baseUrl,
    `GET /welcome HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
  );
}

describe("a sign-in without Content-Type", () => {
  it("gets 415 unsupported_media_type and no cookie, as behind API Gateway", async () => {
    const reply = await rawHttp(
      service.baseUrl,
      `POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${CREDENTIALS.length}\r\nConnection: close\r\n\r\n${CREDENTIALS}`,
    );

    expect(reply.status).toBe(415);
    expect(JSON.parse(reply.body)).toEqual({
      error: "unsupported_media_type",
      message: "Send the body as application/json.",
    });
    expect(reply.head).toContain("cache-control: no-store");
    expect(reply.head).not.toContain("set-cookie");
  });
});

describe("malformed Cookie headers reach the function", () => {
  it.each([
    ["an unterminated quoted value", 'token="abc', "invalid_token"],
    ["a value with spaces", "token=a b c", "invalid_token"],
    ["a name with a quote", 'tok"en=abc', "missing_token"],
    ["separators only", ";;; ; = ;", "missing_token"],
  ])("answers %s with the function's JSON 401", async (_name, cookie, code) => {
    const reply = await welcomeWithCookieHeader(cookie);

    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.body)).toMatchObject({ error: code });
    expect(reply.head).toContain("cache-control: no-store");
    expect(reply.head).toContain("content-type: application/json");
  });

  it("still finds the session cookie beside a malformed one", async () => {
    const browser = new Client(service.baseUrl);
    await browser.signIn("user1", "password1");

    const reply = await welcomeWithCookieHeader(`junk"=x; token=${await browser.token()}`);

    expect(reply.status).toBe(200);
    expect(reply.body).toBe("Welcome user1!");
  });
});

describe("the Lambda invoke port", () => {
  const invoke = () => `${service.lambdaUrl}/2015-03-31/functions/serverless-jwt-auth-dev-logout/invocations`;

  it("approves no preflight from a web page", async () => {
    const reply = await fetch(invoke(), {
      method: "OPTIONS",
      headers: { origin: "https://attacker.example", "access-control-request-method": "POST" },
    });

    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
    expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets no web page read what a function returns", async () => {
    const reply = await fetch(invoke(), {
      method: "POST",
      headers: { origin: "https://attacker.example", "content-type": "text/plain" },
      body: "{}",
    });

    expect(reply.status).toBe(200);
    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("serverless-offline's own HTTP port, behind the gateway proxy", () => {
  // A page that finds this port (by scanning 127.0.0.1) must not get the CORS approval that the
  // proxy in front withholds: from another port of localhost it would read /welcome with the cookie.
  it("approves no preflight from a web page", async () => {
    const reply = await fetch(`${service.offlineUrl}/signin`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
    });

    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
    expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets no web page read an answer", async () => {
    const browser = new Client(service.baseUrl);
    await browser.signIn("user1", "password1");

    const reply = await fetch(`${service.offlineUrl}/welcome`, {
      headers: { origin: "http://localhost:5173", cookie: `token=${await browser.token()}` },
    });

    expect(reply.status).toBe(200);
    expect(await reply.text()).toBe("Welcome user1!");
    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
    expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
  });
});
