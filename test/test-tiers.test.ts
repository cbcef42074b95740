// The two test tiers the README documents: `./run pnpm test:unit` (the vitest project "unit") is every test that
// needs only Node and the built packages, `./run test` (what CI runs) is all of them. Checked on the file lists
// vitest itself resolves from vitest.config.mts, without running anything.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vitestCli = path.join(repoRoot, "node_modules", "vitest", "vitest.mjs");
const scripts = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The test files `vitest <projectArgs>` would run, relative to the repository, sorted. */
function testFiles(projectArgs: string[]): string[] {
  // The child is a vitest of its own, not a worker of this run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
  const out = execFileSync(process.execPath, [vitestCli, "list", ...projectArgs, "--filesOnly", "--json"], { cwd: repoRoot, env, encoding: "utf8" });
  return (JSON.parse(out) as { file: string }[]).map((entry) => path.relative(repoRoot, entry.file)).sort();
}

/** The args `pnpm <script>` hands to `vitest run`, when the script ends with a vitest run. */
function vitestRunArgs(script: string): string[] {
  const match = /(?:^|&& )vitest run((?: [^&]+)?)$/.exec(scripts[script] ?? "");
  expect(match, `package.json scripts.${script} ends with vitest run`).not.toBeNull();
  return (match![1] ?? "").trim().split(/\s+/).filter((arg) => arg !== "");
}

/** The `*.test.ts` files under `dir` (relative to the repository), not descending into node_modules or dist. */
function testFilesIn(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : testFilesIn(relative);
    return entry.name.endsWith(".test.ts") ? [relative] : [];
  });
}

/** The tests of every `<parent>/<name>/test` folder. */
function testsOfEach(parent: string): string[] {
  return readdirSync(path.join(repoRoot, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(repoRoot, parent, entry.name, "test")))
    .flatMap((entry) => testFilesIn(path.join(parent, entry.name, "test")));
}

describe("test tiers", () => {
  const all = testFiles(vitestRunArgs("test"));
  const unit = testFiles(vitestRunArgs("test:unit"));
  const packageAndExampleTests = [...testsOfEach("packages"), ...testsOfEach("examples")];

  it("pnpm test builds, type-checks and runs every test file; pnpm test:unit runs the vitest project named unit", () => {
    expect(scripts.test).toBe("pnpm run build && pnpm run typecheck && vitest run");
    expect(vitestRunArgs("test:unit")).toEqual(["--project", "unit"]);
    expect(all).toEqual([...packageAndExampleTests, ...testFilesIn("test"), ...testFilesIn("bench/test")].sort());
  });

  it("the unit tier runs every package's and example's tests and the README's, and nothing that needs Go, npm pack or the bench", () => {
    expect(unit).toEqual(expect.arrayContaining([...packageAndExampleTests, "test/readme.test.ts"]));
    expect(unit.filter((file) => file.startsWith("test/e2e/") || file.startsWith("bench/") || file === "test/packaging.test.ts")).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(unit));
    expect(all.filter((file) => !unit.includes(file))).toEqual(expect.arrayContaining(["test/packaging.test.ts", "test/e2e/two-tier.test.ts"]));
  });
});
