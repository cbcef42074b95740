// Runs the built example (dist/agent.mjs) in a child process, as its README shows, and checks what was kept and why.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const exampleDir = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

it("keeps each run that went wrong, for its reason, and drops the healthy one", async () => {
  const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" };
  // execFile rejects on a non-zero exit code: resolving asserts exit code 0.
  const { stdout } = await run(process.execPath, ["dist/agent.mjs", "--json"], { cwd: exampleDir, env, timeout: 60_000 });
  const summary = JSON.parse(stdout) as { runs: number; kept: { root: string; reasons: string[] }[] };
  expect(summary.runs).toBe(6);
  const reasons = Object.fromEntries(summary.kept.map((trace) => [trace.root, trace.reasons.filter((reason) => reason !== "keep")]));
  expect(reasons).toEqual({
    "invoke_agent support.retried": ["retried"],
    "invoke_agent support.empty_tool_result": ["soft_error"],
    "invoke_agent support.duplicate_refund": ["duplicate"],
    "invoke_agent support.step_limit": ["partial"],
    "invoke_agent support.abandoned_stream": ["error"],
  });
});
