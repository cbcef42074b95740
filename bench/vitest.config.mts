import { defineConfig } from "vitest/config";

// The bench's own smoke test, runnable on its own (`pnpm --filter @telltale/bench test`) until the root config's
// `include` lists bench/test as well. It spawns the bench's child processes, hence the generous timeout.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
