// Client and server spans of one request, on both SDK majors over the in-memory transport: names, kinds, the
// parent/child link across the two sides, the MCP attributes, tool failures (F5), JSON-RPC errors (F2/F3),
// timeouts and late results (F10/F11), the deadline and budget carried to the server, progress events, metrics.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { workflow } from "@telltale/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_MCP_PROGRESS_COUNT,
  ATTR_TELLTALE_MCP_PROGRESS_TOTAL,
  ATTR_TELLTALE_MCP_PROGRESS_VALUE,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  EVENT_TELLTALE_MCP_PROGRESS,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_CLIENT_SESSION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_DURATION,
} from "@telltale/core/attributes";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, V1, exporter, instrumentAll, metricPoints, spans, until, type Pair } from "./harness.js";

beforeAll(() => instrumentAll());

/** The client and server spans named `name` (exactly one of each). */
function sides(name: string): { client: ReadableSpan; server: ReadableSpan } {
  const named = spans().filter((s) => s.name === name);
  const client = named.filter((s) => s.kind === SpanKind.CLIENT);
  const server = named.filter((s) => s.kind === SpanKind.SERVER);
  if (client.length !== 1 || server.length !== 1) {
    throw new Error(`expected one client and one server span named "${name}", got ${spans().map((s) => `${s.name}/${s.kind}`).join(", ")}`);
  }
  return { client: client[0]!, server: server[0]! };
}

function expectChild(child: ReadableSpan, parent: ReadableSpan): void {
  expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
}

describe.each(MAJORS)("$label", (major) => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await major.connect();
    exporter.reset();
  });
  afterEach(() => pair.close());

  it("a tool call is a CLIENT span and a SERVER span in one trace, with the MCP attributes on both", async () => {
    const result = await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    expect(result).toEqual({ content: [{ type: "text", text: "sunny in Oslo" }] });
    const { client, server } = sides("tools/call get_weather");
    expectChild(server, client);
    expect(client.parentSpanContext).toBeUndefined();
    for (const span of [client, server]) {
      expect(span.attributes).toMatchObject({
        [ATTR_MCP_METHOD_NAME]: "tools/call",
        [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool",
        [ATTR_GEN_AI_TOOL_NAME]: "get_weather",
        [ATTR_MCP_PROTOCOL_VERSION]: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      // Content is off by default; the SDK's default timeout is not a signal without a deadline.
      expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
      expect(span.attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS]).toBeUndefined();
    }
    expect(client.attributes[ATTR_JSONRPC_REQUEST_ID]).toMatch(/^\d+$/);
    expect(server.attributes[ATTR_JSONRPC_REQUEST_ID]).toBe(client.attributes[ATTR_JSONRPC_REQUEST_ID]);
  });

  it("F5: an isError result is tool_error and tool_is_error on both spans, named by the tool's message", async () => {
    const result = await pair.client.callTool({ name: "flaky_lookup", arguments: { query: "q" } });
    expect(result.isError).toBe(true);
    const { client, server } = sides("tools/call flaky_lookup");
    for (const span of [client, server]) {
      expect(span.attributes).toMatchObject({
        [ATTR_ERROR_TYPE]: "tool_error",
        [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "upstream index unavailable",
        [ATTR_TELLTALE_KEEP]: true,
      });
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream index unavailable" });
    }
  });

  it("F5: empty content is empty_tool_result, without an error", async () => {
    await pair.client.callTool({ name: "empty_search" });
    const { client, server } = sides("tools/call empty_search");
    for (const span of [client, server]) {
      expect(span.attributes[ATTR_TELLTALE_SOFT_ERROR]).toBe("empty_tool_result");
      expect(span.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
  });

  it("F2/F3: an unknown tool is classified on both spans (v1 answers isError, v2 a -32602 error)", async () => {
    const outcome = await pair.client.callTool({ name: "no_such_tool" }).then(
      (result) => result,
      (error: unknown) => error,
    );
    const { client, server } = sides("tools/call no_such_tool");
    if (major === V1) {
      expect((outcome as { isError?: boolean }).isError).toBe(true);
      expect(client.attributes[ATTR_ERROR_TYPE]).toBe("tool_error");
      expect(server.attributes[ATTR_ERROR_TYPE]).toBe("tool_error");
      return;
    }
    expect(outcome).toBeInstanceOf(Error);
    for (const span of [client, server]) {
      expect(span.attributes).toMatchObject({
        [ATTR_RPC_RESPONSE_STATUS_CODE]: "-32602",
        [ATTR_ERROR_TYPE]: "-32602",
        [ATTR_TELLTALE_ERROR_CLASS]: "invalid_request",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: false,
      });
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
  });

  it("F10/F11: a timed-out call is a recoverable timeout; the server's later result is late, linked to the client span", async () => {
    const error = await pair.client.callTool({ name: "outlive_cancel", arguments: { afterMs: 30 } }, { timeout: 50 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    await until(() => spans().some((s) => s.kind === SpanKind.SERVER && s.name === "tools/call outlive_cancel"), "the server span", 10_000);
    const { client, server } = sides("tools/call outlive_cancel");
    expect(client.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: "timeout",
      [ATTR_TELLTALE_ERROR_CLASS]: "timeout",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      [ATTR_TELLTALE_TOOL_TIMEOUT_MS]: 50,
    });
    expect(client.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBeUndefined();
    expect(server.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    expect(server.attributes[ATTR_TELLTALE_LATE_BY_MS]).toBeGreaterThanOrEqual(25);
    expect(server.attributes[ATTR_TELLTALE_KEEP_REASONS]).toContain("late");
    expect(server.links.map((link) => link.context.spanId)).toEqual([client.spanContext().spanId]);
    expectChild(server, client);
  });

  it("F10: the workflow's deadline and budget reach the server span; a timeout longer than the time left is flagged", async () => {
    await workflow("triage", { deadlineMs: 20_000, budget: { tokens: 1_000 } }, () =>
      pair.client.callTool({ name: "get_weather", arguments: { city: "Rome" } }, { timeout: 30_000 }),
    );
    const { client, server } = sides("tools/call get_weather");
    expectChild(client, spans().find((s) => s.name === "invoke_agent triage")!);
    expect(client.attributes).toMatchObject({ [ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]: true, [ATTR_TELLTALE_TOOL_TIMEOUT_MS]: 30_000 });
    expect(client.attributes[ATTR_TELLTALE_KEEP_REASONS]).toContain("deadline_exceeded");
    const remaining = server.attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS] as number;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(20_000);
    expect(server.attributes).toMatchObject({ [ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]: 1_000, [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 0 });
  });

  it("F10: a request that times out after the workflow deadline passed is deadline_exceeded", async () => {
    await workflow("tight", { deadlineMs: 20 }, () =>
      pair.client.callTool({ name: "slow", arguments: { ms: 400 } }, { timeout: 80 }).catch(() => undefined),
    );
    const client = spans().find((s) => s.kind === SpanKind.CLIENT && s.name === "tools/call slow")!;
    expect(client.attributes).toMatchObject({ [ATTR_TELLTALE_ERROR_CLASS]: "deadline_exceeded", [ATTR_TELLTALE_ERROR_RECOVERABLE]: false });
    await until(() => spans().some((s) => s.kind === SpanKind.SERVER && s.name === "tools/call slow"), "the server span", 10_000);
  });

  it("progress notifications become bounded events on the client span, and the app still gets each one", async () => {
    const seen: number[] = [];
    await pair.client.callTool({ name: "progress", arguments: { steps: 20 } }, { onprogress: (progress) => seen.push(progress.progress) });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const { client } = sides("tools/call progress");
    const events = client.events.filter((e) => e.name === EVENT_TELLTALE_MCP_PROGRESS);
    expect(events).toHaveLength(16);
    expect(events[0]?.attributes).toEqual({ [ATTR_TELLTALE_MCP_PROGRESS_VALUE]: 1, [ATTR_TELLTALE_MCP_PROGRESS_TOTAL]: 20 });
    expect(client.attributes[ATTR_TELLTALE_MCP_PROGRESS_COUNT]).toBe(20);
  });

  it("prompts and resources: gen_ai.prompt.name in the span name, the resource URI as an attribute only", async () => {
    await pair.client.getPrompt({ name: "summarize", arguments: { topic: "mcp" } });
    await pair.client.readResource({ uri: "notes://today" });
    const prompt = sides("prompts/get summarize");
    expect(prompt.client.attributes[ATTR_GEN_AI_PROMPT_NAME]).toBe("summarize");
    expect(prompt.client.attributes[ATTR_GEN_AI_OPERATION_NAME]).toBeUndefined();
    const resource = sides("resources/read");
    expect(resource.client.attributes[ATTR_MCP_RESOURCE_URI]).toBe("notes://today");
    expect(resource.server.attributes[ATTR_MCP_RESOURCE_URI]).toBe("notes://today");
  });
});

describe("metrics", () => {
  /** Data points of `metric` whose attributes match, summed (the reader is cumulative over the whole file). */
  async function count(metric: string, match: Record<string, unknown> = {}): Promise<number> {
    const points = await metricPoints(metric);
    return points
      .filter((p) => Object.entries(match).every(([key, value]) => p.attributes[key] === value))
      .reduce((sum, p) => sum + (p.value as { count: number }).count, 0);
  }

  it("records mcp.client/server.operation.duration per method and tool, and the session durations on close", async () => {
    const metrics = [METRIC_MCP_CLIENT_OPERATION_DURATION, METRIC_MCP_SERVER_OPERATION_DURATION];
    const okBefore = await Promise.all(metrics.map((m) => count(m, { [ATTR_GEN_AI_TOOL_NAME]: "get_weather", [ATTR_MCP_METHOD_NAME]: "tools/call" })));
    const failedBefore = await Promise.all(metrics.map((m) => count(m, { [ATTR_GEN_AI_TOOL_NAME]: "flaky_lookup", [ATTR_ERROR_TYPE]: "tool_error" })));
    const sessionsBefore = await Promise.all([METRIC_MCP_CLIENT_SESSION_DURATION, METRIC_MCP_SERVER_SESSION_DURATION].map((m) => count(m)));
    for (const major of MAJORS) {
      const pair = await major.connect();
      await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
      await pair.client.callTool({ name: "flaky_lookup", arguments: { query: "q" } });
      await pair.close();
    }
    for (const [i, metric] of metrics.entries()) {
      expect(await count(metric, { [ATTR_GEN_AI_TOOL_NAME]: "get_weather", [ATTR_MCP_METHOD_NAME]: "tools/call" })).toBe(okBefore[i]! + 2);
      expect(await count(metric, { [ATTR_GEN_AI_TOOL_NAME]: "get_weather", [ATTR_ERROR_TYPE]: "tool_error" })).toBe(0);
      expect(await count(metric, { [ATTR_GEN_AI_TOOL_NAME]: "flaky_lookup", [ATTR_ERROR_TYPE]: "tool_error" })).toBe(failedBefore[i]! + 2);
      // Never the high-cardinality ids.
      expect((await metricPoints(metric)).every((p) => p.attributes[ATTR_JSONRPC_REQUEST_ID] === undefined)).toBe(true);
    }
    expect(await count(METRIC_MCP_CLIENT_SESSION_DURATION)).toBe(sessionsBefore[0]! + 2);
    expect(await count(METRIC_MCP_SERVER_SESSION_DURATION)).toBe(sessionsBefore[1]! + 2);
  });
});
