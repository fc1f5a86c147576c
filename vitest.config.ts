import { configDefaults, defineConfig } from "vitest/config";

// The wiring tests that share one serverless-offline service of the default configuration
// (test/support/shared-service.ts), started once, and only when one of them is selected.
const SHARED_SERVICE = [
  "test/http.test.ts",
  "test/sessions-http.test.ts",
  "test/offline-fidelity.test.ts",
  "test/browser-http.test.ts",
  "test/refresh-race-http.test.ts",
  "test/account-http.test.ts",
  "test/user-sessions-http.test.ts",
];

// Test files share worker processes (isolate: false), which spares a process start and a load of
// the AWS SDK per file; loadContainer gives each container fresh modules and environment. Files
// that mock a module (vi.mock) keep a process of their own (boundaries.test.ts holds this list).
const OWN_PROCESS = ["test/lockout.test.ts", "test/user-enumeration.test.ts"];

export default defineConfig({
  test: {
    // Log records of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Vitest's default on 2 cores is one file at a time; many files wait on child processes
    // (serverless-offline, npm start, the CLIs), so three at once keep both cores busy.
    maxWorkers: 3,
    isolate: false,
    // The AWS SDK's notice that its 2027 releases need Node 22 (Lambda runs 24; CI runs 20).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      {
        extends: true,
        test: {
          name: "tests",
          include: ["test/**/*.test.ts"],
          // The browser suite needs Chromium (`npm run test:browser`), the deploy suite moto
          // (`npm run test:deploy`); the package tests are the project below.
          exclude: [
            ...configDefaults.exclude,
            "test/browser/**",
            "test/deploy/**",
            "test/package*.test.ts",
            ...SHARED_SERVICE,
            ...OWN_PROCESS,
          ],
        },
      },
      {
        extends: true,
        test: { name: "own-process", include: OWN_PROCESS, isolate: true },
      },
      {
        extends: true,
        test: {
          name: "wiring",
          include: SHARED_SERVICE,
          globalSetup: ["test/support/shared-service.ts"],
          setupFiles: ["test/support/shared-service-ready.ts"],
        },
      },
      {
        // One `osls package` for all of them, run only when one of them is selected.
        extends: true,
        test: {
          name: "package",
          include: ["test/package*.test.ts"],
          globalSetup: ["test/support/package.ts"],
          setupFiles: ["test/support/package-ready.ts"],
        },
      },
    ],
  },
});
