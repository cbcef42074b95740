import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
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
  spanCount: number;
}

interface Output {
  kept: Kept[];
  traceIds: string[];
}

async function agent(mode: string, dir: string): Promise<Output> {
  // What the README runs: node --import @telltale/node/register dist/agent.mjs, with nothing exported.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(OTEL_|TELLTALE_)/.test(key)));
  const { stdout } = await run(process.execPath, ["--import", "@telltale/node/register", "dist/agent.mjs", mode, dir], {
    cwd: exampleDir,
    env,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Output;
}

describe("the LangGraph example (two processes: interrupt, then resume)", () => {
  it("keeps the paused run for its retry and empty tool result; the resumed run, another process, is in the same trace", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "telltale-langgraph-"));
    const paused = await agent("pause", dir);
    expect(paused.kept).toHaveLength(1);
    expect(paused.kept[0]!.rootName).toBe("invoke_agent support");
    expect(paused.kept[0]!.reasons).toEqual(expect.arrayContaining(["retried", "soft_error"]));

    const resumed = await agent("resume", dir);
    expect(resumed.traceIds).toEqual([paused.kept[0]!.traceId]);
  });
});
