/**
 * The packaged template when ALLOWED_ORIGINS and SESSION_COOKIE_NAME are set (test/package.test.ts
 * packages the defaults): CORS with credentials for exactly those origins, the settings passed on
 * to the functions, and a page bundle that stays small.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageInto } from "./support/package.ts";

const folder = mkdtempSync(join(tmpdir(), "sls-package-cors-"));
let resources: Record<string, { Properties: Record<string, unknown> }>;

beforeAll(async () => {
  resources = await packageInto(folder, {
    ALLOWED_ORIGINS: "https://app.example.com, https://admin.example.com",
    SESSION_COOKIE_NAME: "__Host-token",
  });
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("the packaged template with ALLOWED_ORIGINS", () => {
  it("configures the HTTP API's CORS with credentials for exactly those origins", () => {
    expect(resources.HttpApi?.Properties.CorsConfiguration).toEqual({
      AllowOrigins: ["https://app.example.com", "https://admin.example.com"],
      AllowCredentials: true,
      AllowMethods: ["GET", "POST"],
      AllowHeaders: ["content-type"],
      MaxAge: 600,
    });
  });

  it("passes the origins and the cookie name on to the functions, which check them again", () => {
    for (const name of ["Signin", "Refresh", "Logout", "Welcome"]) {
      const environment = resources[`${name}LambdaFunction`]?.Properties.Environment;
      expect(environment).toMatchObject({
        Variables: {
          ALLOWED_ORIGINS: "https://app.example.com, https://admin.example.com",
          SESSION_COOKIE_NAME: "__Host-token",
        },
      });
    }
  });

  it("keeps the page function's bundle small: its files and the wrapper, no jose, no SDK", () => {
    expect(statSync(join(folder, "page.zip")).size).toBeLessThan(25_000);
  });
});
