// Options are read through functions compiled once per schema (options.ts). Where the process forbids code
// generation from strings (`--disallow-code-generation-from-strings`), core must still load, check and report
// options the same way, through its generic path.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const script = `
import { diag, DiagLogLevel, trace } from "@opentelemetry/api";
import { workflow, step } from "@telltale/core";
import { startLlmCall } from "@telltale/core/instrumentation";
const warnings = [];
const keep = (...args) => warnings.push(args.join(" "));
diag.setLogger({ error: keep, warn: keep, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
let evalBlocked = false;
try { new Function("return 1"); } catch { evalBlocked = true; }
const value = await workflow("w", { steps: "abc", deadlineMs: "soon", budget: { tokens: -5 } }, () => step("a", () => 42));
const valid = await workflow("v", { steps: ["a"], budget: { tokens: 10 } }, () => step("a", () => 7));
startLlmCall(trace.getTracer("t"), undefined).end();
console.log(JSON.stringify({ evalBlocked, value, valid, warnings }));
`;

describe("without code generation", () => {
  it("still checks and reports options, and runs the user's work", async () => {
    const { stdout } = await run(process.execPath, ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script], {
      cwd: packageDir,
      timeout: 30_000,
    });
    const report = JSON.parse(stdout) as { evalBlocked: boolean; value: number; valid: number; warnings: string[] };
    expect(report.evalBlocked).toBe(true);
    expect(report.value).toBe(42);
    expect(report.valid).toBe(7);
    expect(report.warnings.filter((w) => w.includes('workflow: option "steps"'))).toHaveLength(1);
    expect(report.warnings.filter((w) => w.includes('workflow: option "deadlineMs"'))).toHaveLength(1);
    expect(report.warnings.filter((w) => w.includes('workflow: option "budget.tokens"'))).toHaveLength(1);
    expect(report.warnings.filter((w) => w.includes('startLlmCall: option "provider"'))).toHaveLength(1);
    expect(report.warnings.filter((w) => w.includes('startLlmCall: option "operation"'))).toHaveLength(1);
  });
});
