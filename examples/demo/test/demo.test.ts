import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const demoScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/demo.mjs");
const FAILURE_IDS = ["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F13", "F14", "F15"];

interface DemoJson {
  mode: string;
  workflowRuns: number;
  traces: number;
  kept: number;
  dropped: number;
  keptByReason: Record<string, number>;
  healthy: { runs: number; kept: number; dropped: number; keptByReason: Record<string, number> };
  failures: { failure: string; caught: boolean; traceId?: string; span?: string; detail?: string; scenario?: string }[];
  crossProcess?: { traceId: string; services: string[]; clientSpan: string; serverSpan: string; serverFinding: string };
  exportedTo: string;
}

const run = promisify(execFile);
// Without an endpoint the demo must say so, whatever the developer's shell exports.
const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" };

describe("the demo agent (built dist/demo.mjs, in a child process)", () => {
  let summary: DemoJson;

  beforeAll(async () => {
    // execFile rejects on a non-zero exit code, so resolving here also asserts exit code 0.
    const { stdout } = await run(process.execPath, [demoScript, "--json"], { env, timeout: 60_000 });
    summary = JSON.parse(stdout) as DemoJson;
  });

  it("runs 60 workflows against the mock, plus the one orphaned job's trace", () => {
    expect(summary.mode).toBe("mock");
    expect(summary.workflowRuns).toBe(60);
    expect(summary.traces).toBe(61);
    expect(summary.kept + summary.dropped).toBe(61);
  });

  it("catches every failure F1-F15 on a kept trace, on the span where it happened", () => {
    expect(summary.failures.map((failure) => failure.failure)).toEqual(FAILURE_IDS);
    for (const failure of summary.failures) {
      expect(failure, failure.failure).toMatchObject({ caught: true });
      expect(failure.traceId, failure.failure).toMatch(/^[0-9a-f]{32}$/);
    }
    const byId = Object.fromEntries(summary.failures.map((failure) => [failure.failure, failure]));
    expect(byId.F1).toMatchObject({ span: "chat gpt-4o-mini" });
    expect(byId.F1!.detail).toMatch(/^retried [12]× \((rate_limit|server_error)/);
    expect(byId.F2).toMatchObject({ span: "chat gpt-4o-mini", detail: "failed: rate_limit (recoverable)" });
    expect(byId.F3).toMatchObject({ span: "retry summarize", scenario: "context_too_long" });
    expect(byId.F5).toMatchObject({ span: "execute_tool search_docs", detail: "soft error: empty_tool_result" });
    expect(byId.F6).toMatchObject({ span: "invoke_agent triage", detail: "outcome partial: missing file_ticket" });
    expect(byId.F7).toMatchObject({ span: "retry summarize" });
    expect(byId.F9!.detail).toMatch(/^token budget exceeded \(\d+ of 4000\)$/);
    expect(byId.F11).toMatchObject({ span: "spawn warm_cache", scenario: "late_cache_warm" });
    expect(byId.F13).toMatchObject({ span: "execute_tool search_docs", scenario: "slow_tool" });
    expect(byId.F14).toMatchObject({ span: "step handle_job" });
    expect(byId.F15!.detail).toContain("stream_aborted");
  });

  it("draws the failed MCP tool call across two processes, the failure named on the MCP server's own span", () => {
    expect(summary.crossProcess).toEqual({
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      services: ["telltale-demo", "telltale-demo-runbooks"],
      clientSpan: "tools/call lookup_runbook",
      serverSpan: "tools/call lookup_runbook",
      serverFinding: "soft error: tool_is_error (runbook store timed out)",
    });
  });

  it("keeps the traces for their reasons and drops the healthy bulk beyond the baseline", () => {
    for (const reason of ["error", "soft_error", "retried", "partial", "late", "orphan", "duplicate", "slow"]) {
      expect(summary.keptByReason[reason], reason).toBeGreaterThan(0);
    }
    expect(summary.healthy.runs).toBe(40);
    expect(summary.healthy.kept + summary.healthy.dropped).toBe(40);
    // A healthy trace is kept only by the baseline (about 5 %: far fewer than half of them), or as slow when a busy
    // machine stretches a run past the 1.5 s threshold; never for a failure.
    expect(Object.keys(summary.healthy.keptByReason).filter((reason) => reason !== "baseline" && reason !== "slow")).toEqual([]);
    expect(summary.healthy.keptByReason.baseline ?? 0).toBeLessThan(11);
    expect(summary.healthy.dropped).toBeGreaterThanOrEqual(40 - (summary.healthy.keptByReason.baseline ?? 0) - (summary.healthy.keptByReason.slow ?? 0));
    expect(summary.exportedTo).toBe("nowhere: set OTEL_EXPORTER_OTLP_ENDPOINT to export");
  });
});
