import { defineConfig } from "vitest/config";

// One suite for the whole monorepo, in two projects. Tests import the packages by name, so both run against the
// built dist/ output users get. `vitest run` (pnpm test, what CI runs) runs both; `vitest run --project unit`
// (pnpm test:unit) only the fast tier for day-to-day work.

/**
 * The tests that need more than Node and the built packages: the end-to-end tests start the Go-built collector and
 * Jaeger (scripts/go-tools.sh builds them), the packaging test packs and installs every package with npm, the bench
 * tests run the benchmark harness.
 */
const SYSTEM = ["test/e2e/**/*.test.ts", "test/packaging.test.ts", "bench/test/**/*.test.ts"];
/** Everything else: the packages' and examples' tests, and the README's checks. */
const UNIT = ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "test/*.test.ts"];
const EXCLUDE = ["**/node_modules/**", "**/dist/**"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    // Each project inherits the options above; include and exclude are the project's own (extending would append).
    projects: [
      { extends: true, test: { name: "unit", include: UNIT, exclude: [...EXCLUDE, ...SYSTEM] } },
      { extends: true, test: { name: "system", include: SYSTEM, exclude: EXCLUDE } },
    ],
  },
});
