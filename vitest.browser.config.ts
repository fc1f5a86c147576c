import { defineConfig } from "vitest/config";

// `npm run test:browser`: the end-to-end suite in a real Chromium (test/browser/). Kept out of
// `npm test`, which needs no browser.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
