// Some deployments harden Node with --disallow-code-generation-from-strings (no eval, no new Function). The sampler
// must start and decide there exactly as anywhere else: a child process under that flag builds it from a policy
// file's text and feeds it a healthy, a retried and a failed trace.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "no-code-generation.mjs");

it("builds and decides under node --disallow-code-generation-from-strings", async () => {
  // execFile rejects on a non-zero exit (e.g. an EvalError at construction), so resolving also asserts exit code 0.
  const { stdout } = await promisify(execFile)(process.execPath, ["--disallow-code-generation-from-strings", child], {
    timeout: 60_000,
  });
  const result = JSON.parse(stdout) as { exported: [string, string[] | null][]; keptTracesByReason: Record<string, number>; tracesDropped: number };
  // Export order follows priority (errors first): compare as sets.
  expect(result.exported.map((entry) => JSON.stringify(entry)).sort()).toEqual(
    [["chat model", null], ["chat model", null], ["failed", ["error"]], ["retried", ["retried"]]].map((entry) => JSON.stringify(entry)),
  );
  expect(result.keptTracesByReason).toMatchObject({ error: 1, retried: 1, baseline: 0 });
  expect(result.tracesDropped).toBe(1);
});
