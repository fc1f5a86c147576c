/**
 * The packaged template with ALLOWED_ORIGINS and SESSION_COOKIE_NAME set (the one package run of
 * test/support/package.ts sets them): CORS with credentials for exactly those origins, the settings
 * passed on to the functions, and a page bundle that stays small.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ENV, packagedFolder, packagedResources } from "./support/package.ts";

let resources: Record<string, { Properties: Record<string, unknown> }>;

beforeAll(() => {
  resources = packagedResources();
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
          ALLOWED_ORIGINS: PACKAGE_ENV.ALLOWED_ORIGINS,
          SESSION_COOKIE_NAME: PACKAGE_ENV.SESSION_COOKIE_NAME,
        },
      });
    }
  });

  it("keeps the page function's bundle small: its files and the wrapper, no jose, no SDK", () => {
    expect(statSync(join(packagedFolder(), "page.zip")).size).toBeLessThan(25_000);
  });
});
