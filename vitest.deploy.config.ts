import { defineConfig } from "vitest/config";

// `npm run test:deploy`: osls deploy against moto (test/deploy/), skipped without moto_server. Kept
// out of `npm test`: it takes a minute and needs Python's moto.
export default defineConfig({
  test: {
    include: ["test/deploy/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
