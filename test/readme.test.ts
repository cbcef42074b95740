// The top-level README promises things a reader will try first: the attribute table matches what the code writes,
// the Quickstart is exactly two commands, CI runs the same test command, and every link and `./run` command in it
// points at something that exists.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@telltale/core/attributes";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
const generatorScript = path.join(repoRoot, "scripts", "attribute-table.mjs");

const attributesPage = readFileSync(path.join(repoRoot, "docs", "attributes.md"), "utf8");

function between(text: string, begin: string, end: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  expect(from, `marker ${begin}`).toBeGreaterThanOrEqual(0);
  expect(to, `marker ${end}`).toBeGreaterThan(from);
  return text.slice(from + begin.length, to).trim();
}

/** The body of a `## ` section, up to the next `## ` heading. */
function section(title: string): string {
  const heading = `\n## ${title}\n`;
  const from = readme.indexOf(heading);
  expect(from, `section "## ${title}"`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf("\n## ", from + heading.length);
  return readme.slice(from + heading.length, next === -1 ? undefined : next);
}

/** The command lines of every fenced code block in `markdown` (comments and blank lines left out). */
function commandLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

describe("README.md", () => {
  it("points at docs/attributes.md, which is exactly what scripts/attribute-table.mjs generates from @telltale/core", () => {
    expect(readme).toContain("](docs/attributes.md)");
    const generated = execFileSync(process.execPath, [generatorScript], { cwd: repoRoot, encoding: "utf8" });
    expect(attributesPage).toBe(generated);
  });

  it("docs/attributes.md lists every telltale.* attribute core exports, with the value the code writes", () => {
    const reference = attributesPage;
    const rows = new Set([...reference.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]));
    const telltaleAttributes = Object.entries(core)
      .filter(([exportName]) => exportName.startsWith("ATTR_TELLTALE_"))
      .map(([, value]) => value);
    expect(telltaleAttributes).toContain("telltale.retry.count");
    for (const name of telltaleAttributes) expect(rows, `row for ${String(name)}`).toContain(name);
    for (const name of [core.ATTR_GEN_AI_OPERATION_NAME, core.ATTR_ERROR_TYPE, core.ATTR_HTTP_REQUEST_RESEND_COUNT]) {
      expect(rows, `row for ${name}`).toContain(name);
    }
    expect(rows).toContain(core.METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(rows).toContain(core.EVENT_TELLTALE_ATTEMPT);
  });

  it("has a Quickstart of exactly two commands: ./run demo and ./run test", () => {
    expect(commandLines(section("Quickstart"))).toEqual(["./run demo", "./run test"]);
  });

  it("uses only ./run subcommands that ./run accepts", () => {
    const runScript = readFileSync(path.join(repoRoot, "run"), "utf8");
    const accepted = new Set([...runScript.matchAll(/^\s+([a-z]+)\)/gm)].map((match) => match[1]));
    expect([...accepted].sort()).toEqual(["bench", "demo", "load", "pnpm", "test"]);
    const used = [...readme.matchAll(/\.\/run ([a-z]+)/g)].map((match) => match[1]);
    expect(used.length).toBeGreaterThan(2);
    for (const subcommand of used) expect(accepted, `./run ${subcommand}`).toContain(subcommand);
  });

  it("runs only root package.json scripts through ./run pnpm, the unit tier among them (test/test-tiers.test.ts holds what it runs)", () => {
    const scripts = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const pnpmCommands = new Set(["install", "exec", "--filter"]);
    const used = [...readme.matchAll(/\.\/run pnpm ([\w:-]+)/g)].map((match) => match[1] ?? "");
    expect(used).toContain("test:unit");
    for (const word of used.filter((word) => !pnpmCommands.has(word))) expect(Object.keys(scripts), `./run pnpm ${word}`).toContain(word);
  });

  it("links only to files and folders that exist in the repository", () => {
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1] ?? "")
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(targets).toContain("deploy/README.md");
    // packages/node is being written alongside this README; its README is checked once the package has one.
    const missing = targets.filter(
      (target) => !existsSync(path.join(repoRoot, target)) && target !== "packages/node/README.md",
    );
    expect(missing).toEqual([]);
  });

  it("has the performance paragraph docs/performance.md's headline figures give, between its markers", async () => {
    const docs = (await import("../bench/src/docs.mjs")) as {
      README_BEGIN: string;
      README_END: string;
      PERFORMANCE_BEGIN: string;
      PERFORMANCE_END: string;
      parseHeadline: (block: string) => unknown;
      renderReadmeSummary: (headline: unknown) => string;
    };
    const lines = readme.split("\n");
    expect(lines).toContain(docs.README_BEGIN);
    expect(lines).toContain(docs.README_END);
    const page = readFileSync(path.join(repoRoot, "docs", "performance.md"), "utf8");
    const headline = docs.parseHeadline(between(page, docs.PERFORMANCE_BEGIN, docs.PERFORMANCE_END));
    expect(between(readme, docs.README_BEGIN, docs.README_END)).toBe(docs.renderReadmeSummary(headline));
  });
});

describe(".ci/run", () => {
  it("runs ./run test and nothing else", () => {
    const script = readFileSync(path.join(repoRoot, ".ci", "run"), "utf8");
    const commands = script
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("set ") && !line.startsWith("cd "));
    expect(commands).toEqual(["exec ./run test"]);
  });
});
