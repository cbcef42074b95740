import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

interface Kept {
  traceId: string;
  rootName: string | undefined;
  reasons: string[];
}

describe("the OpenAI Agents SDK example", () => {
  it("keeps the runs that went wrong, each for its reason, and drops the healthy one", async () => {
    // What the README runs; not under vitest's NODE_ENV=test, under which the SDK turns tracing off.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(OTEL_|TELLTALE_|OPENAI_)/.test(key) && key !== "NODE_ENV"));
    const { stdout } = await run(process.execPath, ["--import", "@telltale/node/register", "dist/agents.mjs"], { cwd: exampleDir, env, timeout: 60_000 });
    const output = JSON.parse(stdout.trim().split("\n").at(-1)!) as { outcomes: Record<string, string>; kept: Kept[] };
    expect(output.outcomes).toEqual({
      healthy: "ok",
      emptyLookup: "ok",
      guardrail: "InputGuardrailTripwireTriggered",
      maxTurns: "MaxTurnsExceededError",
    });
    const byRoot = new Map(output.kept.map((trace) => [trace.rootName, trace.reasons]));
    expect(byRoot.get("invoke_agent empty lookup")).toEqual(expect.arrayContaining(["soft_error"]));
    expect(byRoot.get("invoke_agent guardrail")).toEqual(expect.arrayContaining(["error"]));
    expect(byRoot.get("invoke_agent max turns")).toEqual(expect.arrayContaining(["partial"]));
    expect(byRoot.get("invoke_agent healthy") ?? ["baseline"]).toEqual(["baseline"]);
  });
});
