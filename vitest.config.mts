import { defineConfig } from "vitest/config";

// One suite for the whole monorepo: package unit tests and the end-to-end tests in test/.
// Tests import the packages by name, so they run against the built dist/ output users get.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
