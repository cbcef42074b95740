/**
 * MCP across two processes, end to end: an agent process and the MCP server it starts over stdio, both set up with
 * `node --import @telltale/node/register` and TELLTALE_SAMPLING=collector, export OTLP/HTTP to a collector running
 * deploy/collector/tail-sampling.yaml, which exports to Jaeger. A failed tool call is one complete trace there, the
 * agent's CLIENT span the parent of the server's SERVER span, found by the README's queries in both services; the
 * healthy calls are decided by the same baseline as everything else.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createBaselineSampler } from "@telltale/sampler/conformance";
import { parsePolicy, parsePolicyText, renderCollectorConfig } from "@telltale/sampler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  environmentWithoutTelemetry,
  goBinaries,
  pollUntil,
  REPO_ROOT,
  startJaeger,
  startSamplingCollector,
  type RunningJaeger,
  type SamplingCollector,
  type StoredTrace,
} from "../support/index.js";

const AGENT = "e2e-mcp-agent";
const SERVER = "e2e-mcp-server";
const HEALTHY_RUNS = 6;
const TEST_DIR = path.join(REPO_ROOT, "test");
const AGENT_SCRIPT = path.join(TEST_DIR, "support", "mcp-agent.mjs");

const deployPolicy = parsePolicyText(readFileSync(path.join(REPO_ROOT, "deploy/collector/policy.yaml"), "utf8"));
const testPolicy = parsePolicy({ rules: { slow: { thresholdMs: 1_500 } } }, deployPolicy);
const baseline = createBaselineSampler(testPolicy.baseline.percentage, testPolicy.baseline.hashSalt);
const run = promisify(execFile);

interface Run {
  kind: "healthy" | "tool-error" | "marker";
  traceId: string;
}

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;
let runs: Run[] = [];

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({ name: "collector-mcp", jaeger, tailSampling: { ...renderCollectorConfig(testPolicy) } });
  const { stdout } = await run(process.execPath, ["--import", "@telltale/node/register", AGENT_SCRIPT, String(HEALTHY_RUNS)], {
    cwd: TEST_DIR,
    timeout: 120_000,
    env: {
      ...environmentWithoutTelemetry(),
      OTEL_SERVICE_NAME: AGENT,
      E2E_MCP_SERVER_SERVICE: SERVER,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
      TELLTALE_SAMPLING: "collector",
    },
  });
  runs = (JSON.parse(stdout.trim().split("\n").at(-1)!) as { runs: Run[] }).runs;
}, 900_000);

afterAll(async () => {
  await collector?.stop();
  await jaeger?.stop();
});

function onlyRun(kind: Run["kind"]): Run {
  const found = runs.filter((candidate) => candidate.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} run, got ${found.length}`);
  return found[0]!;
}

/** Waits (bounded) for the marker, which the collector decides after every earlier trace, then reads each run once. */
let storedRuns: Map<string, StoredTrace | undefined> | undefined;
async function stored(): Promise<Map<string, StoredTrace | undefined>> {
  if (storedRuns) return storedRuns;
  const client = jaeger!.client;
  // The marker is complete once its server span (the -32602 refusal) is in too.
  await pollUntil("the marker run in Jaeger, both services", async () => {
    const marker = await client.getTrace(onlyRun("marker").traceId);
    return marker !== undefined && new Set(marker.spans.map((span) => span.serviceName)).size === 2 ? true : undefined;
  }, { timeoutMs: 60_000 });
  await pollUntil("the failed tool call's trace, both services", async () => {
    const failed = await client.getTrace(onlyRun("tool-error").traceId);
    return failed !== undefined && failed.spans.length >= 3 ? true : undefined;
  });
  storedRuns = new Map();
  for (const candidate of runs) storedRuns.set(candidate.traceId, await client.getTrace(candidate.traceId));
  return storedRuns;
}

describe("MCP client process and server process -> collector (tail sampling) -> Jaeger", () => {
  it("ran the known mix, one trace per workflow", () => {
    expect(runs.map((candidate) => candidate.kind)).toEqual([...Array<Run["kind"]>(HEALTHY_RUNS).fill("healthy"), "tool-error", "marker"]);
    expect(new Set(runs.map((candidate) => candidate.traceId)).size).toBe(runs.length);
  });

  it("keeps the failed tool call as one complete trace across both processes, the failure named on the server's span", async () => {
    const failed = (await stored()).get(onlyRun("tool-error").traceId)!;
    const shape = failed.spans.map((span) => `${span.serviceName}: ${span.name}`).sort();
    expect(shape).toEqual([`${AGENT}: invoke_agent orders tool-error`, `${AGENT}: tools/call lookup_order`, `${SERVER}: tools/call lookup_order`]);
    const root = failed.spans.find((span) => span.parentSpanId === "")!;
    const client = failed.spans.find((span) => span.serviceName === AGENT && span.name === "tools/call lookup_order")!;
    const server = failed.spans.find((span) => span.serviceName === SERVER)!;
    expect(client.parentSpanId).toBe(root.spanId);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "lookup_order",
      "network.transport": "pipe",
      "error.type": "tool_error",
      "telltale.soft_error": "tool_is_error",
      "telltale.soft_error.detail": "order store unavailable",
    });
    expect(server.statusCode).toBe("STATUS_CODE_ERROR");
    expect(client.attributes["jsonrpc.request.id"]).toBe(server.attributes["jsonrpc.request.id"]);
  });

  it("decides the healthy calls by the baseline, each kept one complete in both services", async () => {
    const byTrace = await stored();
    const healthy = runs.filter((candidate) => candidate.kind === "healthy");
    expect(healthy.map((candidate) => byTrace.get(candidate.traceId) !== undefined)).toEqual(healthy.map((candidate) => baseline.keeps(candidate.traceId)));
    for (const candidate of healthy) {
      const kept = byTrace.get(candidate.traceId);
      if (kept) expect(new Set(kept.spans.map((span) => span.serviceName))).toEqual(new Set([AGENT, SERVER]));
    }
  });

  it("is found by the README's searches, in the agent's service and in the MCP server's", async () => {
    await stored();
    const client = jaeger!.client;
    const failed = onlyRun("tool-error").traceId;
    expect(await client.searchTraceIdsByTags(AGENT, { "telltale.keep": "true" })).toEqual(expect.arrayContaining([failed, onlyRun("marker").traceId]));
    expect(await client.searchTraceIdsByTags(SERVER, { "error.type": "tool_error" })).toEqual([failed]);
    expect(await client.searchTraceIdsByTags(AGENT, { "telltale.soft_error": "tool_is_error" })).toEqual([failed]);
    // The refused request (v2 answers an unknown tool with -32602) is classified where it happened.
    expect(await client.searchTraceIdsByTags(SERVER, { "rpc.response.status_code": "-32602" })).toEqual([onlyRun("marker").traceId]);
    expect(await client.services()).toEqual(expect.arrayContaining([AGENT, SERVER]));
  });
});
