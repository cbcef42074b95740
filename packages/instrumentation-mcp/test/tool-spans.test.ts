// One span per tool call: an MCP tools/call inside core's tool() or another instrumentation's execute_tool span of
// the same tool reports on that span; anything else gets its own CLIENT span. Side-effecting tools get tool()'s
// idempotency checks (F8). Content capture is off unless asked for, then truncated and redacted.
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { tool, workflow } from "@telltale/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
} from "@telltale/core/attributes";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, V2, exporter, instrumentAll, spans, type Pair } from "./harness.js";

beforeAll(() => instrumentAll());

const other = trace.getTracer("another-genai-instrumentation");

function named(name: string, kind?: SpanKind): ReadableSpan[] {
  return spans().filter((s) => s.name === name && (kind === undefined || s.kind === kind));
}

function only(name: string, kind?: SpanKind): ReadableSpan {
  const found = named(name, kind);
  if (found.length !== 1) throw new Error(`expected one ${name}, got ${spans().map((s) => `${s.name}/${s.kind}`).join(", ")}`);
  return found[0]!;
}

describe.each(MAJORS)("$label: one span per tool call", (major) => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await major.connect();
    exporter.reset();
  });
  afterEach(async () => {
    await pair.close();
    instrumentAll();
  });

  it("inside core's tool() of the same tool, the MCP attributes go on the execute_tool span; no second client span", async () => {
    await workflow("w", () => tool("get_weather", () => pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } })));
    const toolSpan = only("execute_tool get_weather");
    expect(named("tools/call get_weather", SpanKind.CLIENT)).toHaveLength(0);
    expect(toolSpan.attributes).toMatchObject({
      [ATTR_MCP_METHOD_NAME]: "tools/call",
      [ATTR_GEN_AI_TOOL_NAME]: "get_weather",
      [ATTR_JSONRPC_REQUEST_ID]: expect.stringMatching(/^\d+$/),
      [ATTR_MCP_PROTOCOL_VERSION]: expect.any(String),
    });
    const server = only("tools/call get_weather", SpanKind.SERVER);
    expect(server.parentSpanContext?.spanId).toBe(toolSpan.spanContext().spanId);
    expect(server.attributes[ATTR_JSONRPC_REQUEST_ID]).toBe(toolSpan.attributes[ATTR_JSONRPC_REQUEST_ID]);
  });

  it("inside another instrumentation's execute_tool span, the same", async () => {
    await other.startActiveSpan(
      "execute_tool get_weather",
      { attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool", [ATTR_GEN_AI_TOOL_NAME]: "get_weather" } },
      async (span) => {
        await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
        span.end();
      },
    );
    expect(spans().filter((s) => s.kind !== SpanKind.SERVER).map((s) => s.name)).toEqual(["execute_tool get_weather"]);
    expect(only("execute_tool get_weather").attributes[ATTR_MCP_METHOD_NAME]).toBe("tools/call");
  });

  it("a tool() of another name, or a second call in the same tool(), gets its own client spans", async () => {
    await workflow("w", async () => {
      await tool("research", async () => {
        await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
        await pair.client.callTool({ name: "empty_search" });
      });
      await tool("get_weather", async () => {
        await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
        await pair.client.callTool({ name: "get_weather", arguments: { city: "Rome" } });
      });
    });
    const research = only("execute_tool research");
    expect(research.attributes[ATTR_MCP_METHOD_NAME]).toBeUndefined();
    const clients = named("tools/call get_weather", SpanKind.CLIENT);
    expect(clients).toHaveLength(2);
    expect(clients[0]?.parentSpanContext?.spanId).toBe(research.spanContext().spanId);
    expect(clients[1]?.parentSpanContext?.spanId).toBe(only("execute_tool get_weather").spanContext().spanId);
    expect(only("tools/call empty_search", SpanKind.CLIENT).parentSpanContext?.spanId).toBe(research.spanContext().spanId);
  });

  it("with reuseToolSpans: false, the client span nests under the tool span", async () => {
    instrumentAll({ reuseToolSpans: false });
    await workflow("w", () => tool("get_weather", () => pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } })));
    expect(only("tools/call get_weather", SpanKind.CLIENT).parentSpanContext?.spanId).toBe(only("execute_tool get_weather").spanContext().spanId);
  });

  it("a reused span keeps the timeout its owner declared for the tool", async () => {
    await workflow("w", { deadlineMs: 20_000 }, () =>
      tool("get_weather", { timeoutMs: 5_000 }, () => pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } })),
    );
    const toolSpan = only("execute_tool get_weather");
    expect(toolSpan.attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS]).toBe(5_000);
    expect(toolSpan.attributes[ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]).toBeUndefined();
  });

  it("an isError result on a reused span: tool_error and tool_is_error there", async () => {
    await workflow("w", () => tool("flaky_lookup", () => pair.client.callTool({ name: "flaky_lookup", arguments: { query: "q" } })));
    expect(only("execute_tool flaky_lookup").attributes).toMatchObject({ [ATTR_ERROR_TYPE]: "tool_error", [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error" });
  });
});

describe("a JSON-RPC error on a reused span", () => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await V2.connect();
    exporter.reset();
  });
  afterEach(() => pair.close());

  it("is recorded there even when the tool() body catches it", async () => {
    const answer = await workflow("w", () =>
      tool("no_such_tool", () => pair.client.callTool({ name: "no_such_tool" }).then(() => "result", () => "fallback")),
    );
    expect(answer).toBe("fallback");
    const toolSpan = only("execute_tool no_such_tool");
    expect(toolSpan.attributes).toMatchObject({ [ATTR_RPC_RESPONSE_STATUS_CODE]: "-32602", [ATTR_ERROR_TYPE]: "-32602" });
    expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe.each(MAJORS)("$label: side-effecting tools (F8)", (major) => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await major.connect();
    exporter.reset();
  });
  afterEach(async () => {
    await pair.close();
    instrumentAll();
  });

  it("by name: the key from the arguments, a duplicate in the same trace, a missing key", async () => {
    instrumentAll({ sideEffectTools: ["send_email"] });
    await workflow("w", async () => {
      await pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com", idempotency_key: "mail-1" } });
      await pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com", idempotency_key: "mail-1" } });
      await pair.client.callTool({ name: "send_email", arguments: { to: "b@example.com" } });
      await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    });
    const [first, second, third] = named("tools/call send_email", SpanKind.CLIENT);
    expect(first?.attributes).toMatchObject({ [ATTR_TELLTALE_SIDE_EFFECT]: true, [ATTR_TELLTALE_IDEMPOTENCY_KEY]: "mail-1" });
    expect(first?.attributes[ATTR_TELLTALE_DUPLICATE]).toBeUndefined();
    expect(second?.attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
    expect(third?.attributes[ATTR_TELLTALE_IDEMPOTENCY_MISSING]).toBe(true);
    expect(only("tools/call get_weather", SpanKind.CLIENT).attributes[ATTR_TELLTALE_SIDE_EFFECT]).toBeUndefined();
    // The server side does not run the checks a second time.
    expect(named("tools/call send_email", SpanKind.SERVER).every((s) => s.attributes[ATTR_TELLTALE_SIDE_EFFECT] === undefined)).toBe(true);
  });

  it("by predicate, with the key from a function", async () => {
    instrumentAll({ sideEffectTools: (name) => name.startsWith("send_"), idempotencyKey: (_name, args) => `to:${String(args?.to)}` });
    await workflow("w", async () => {
      await pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com" } });
      await pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com" } });
    });
    const [first, second] = named("tools/call send_email", SpanKind.CLIENT);
    expect(first?.attributes[ATTR_TELLTALE_IDEMPOTENCY_KEY]).toBe("to:a@example.com");
    expect(second?.attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
  });

  it("inside tool() that already checked the side effect, the reused span is not checked twice", async () => {
    instrumentAll({ sideEffectTools: ["send_email"] });
    await workflow("w", () =>
      tool("send_email", { sideEffect: true, idempotencyKey: "mail-2" }, () =>
        pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com", idempotency_key: "mail-2" } }),
      ),
    );
    const toolSpan = only("execute_tool send_email");
    expect(toolSpan.attributes).toMatchObject({ [ATTR_TELLTALE_SIDE_EFFECT]: true, [ATTR_TELLTALE_IDEMPOTENCY_KEY]: "mail-2" });
    expect(toolSpan.attributes[ATTR_TELLTALE_DUPLICATE]).toBeUndefined();
  });

  it("a predicate that throws is reported and the call goes through untouched", async () => {
    instrumentAll({
      sideEffectTools: () => {
        throw new Error("bad predicate");
      },
    });
    const result = await pair.client.callTool({ name: "send_email", arguments: { to: "a@example.com" } });
    expect(result.content[0]?.text).toBe("sent to a@example.com");
    expect(only("tools/call send_email", SpanKind.CLIENT).attributes[ATTR_TELLTALE_SIDE_EFFECT]).toBeUndefined();
  });
});

describe.each(MAJORS)("$label: content capture", (major) => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await major.connect();
    exporter.reset();
  });
  afterEach(async () => {
    await pair.close();
    instrumentAll();
  });

  it("records the arguments and result on both sides when on, redacted and truncated", async () => {
    instrumentAll({ captureMessageContent: true, contentMaxLength: 30, redact: (text) => text.replaceAll("Oslo", "[city]") });
    await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    for (const span of named("tools/call get_weather")) {
      expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBe('{"city":"[city]"}');
      expect(span.attributes[ATTR_GEN_AI_TOOL_CALL_RESULT]).toBe('[{"type":"text","text":"sunny …[truncated 12 chars]');
    }
    expect(named("tools/call get_weather")).toHaveLength(2);
  });
});
