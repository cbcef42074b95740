import { defineConfig } from "vitest/config";

// The load test (`./run load`): kept out of the main suite (its files end in .load.ts), one file, no time limit
// beyond its own bounded phases.
export default defineConfig({
  test: {
    include: ["test/load/**/*.load.ts"],
    testTimeout: 3_600_000,
    hookTimeout: 900_000,
    pool: "forks",
    reporters: ["default"],
  },
});
