/**
 * Every query the docs show a user runs verbatim: each Jaeger search in the "Query your traces" tables of README.md
 * and deploy/README.md (Tags, Min Duration, or both) and each `curl` line of deploy/README.md's HTTP API block, against
 * a real Jaeger holding one trace per kind of failure, plus healthy ones and calls that recovered. Each search must
 * return exactly the traces its row names: "a call failed, by cause" must not return the call that succeeded after a
 * 429, and "the SDK retried inside one call" returns the recovered call too, because it was retried.
 *
 * The traces come from the real `openai` SDK (instrumented by @telltale/instrumentation-openai, against
 * @telltale/mock-llm) and @telltale/core's workflow/step/tool/retry/spawn, exported unsampled to Jaeger's OTLP
 * receiver, so every trace is there and a search can only be wrong by matching too much or too little.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { retry, spawn, step, tool, workflow } from "@telltale/core";
import { McpInstrumentation } from "@telltale/instrumentation-mcp";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import * as mcpClient from "@modelcontextprotocol/client";
import * as mcpServer from "@modelcontextprotocol/server";
import { startMockLlm, type FaultStep, type MockLlm } from "@telltale/mock-llm";
import * as openaiModule from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goBinaries, pollUntil, REPO_ROOT, startJaeger, type RunningJaeger } from "../support/index.js";

const run = promisify(execFile);
const SERVICE = "documented-queries";

/** One trace per kind. */
const KINDS = [
  "healthy",
  "other-model",
  "recovered",
  "rate-limited",
  "invalid",
  "truncated",
  "stream-aborted",
  "partial",
  "duplicate",
  "missing-key",
  "over-budget",
  "deadline",
  "timeout-exceeds",
  "late",
  "rejected",
  "orphan",
  "non-recoverable-retry",
  "args-changed",
  "tool-failure",
  "mcp-tool-error",
  "mcp-refused",
  "slow",
] as const;
type Kind = (typeof KINDS)[number];

const flagged = KINDS.filter((kind) => !["healthy", "other-model", "slow"].includes(kind));
/** The kinds whose trace has an LLM call on gpt-4o-mini. */
const onGpt4oMini: Kind[] = ["healthy", "recovered", "rate-limited", "invalid", "truncated", "stream-aborted", "over-budget"];

/**
 * What each documented search must return, in the words of its row. A row of the docs without an entry here fails
 * the test: a new query needs its expected answer.
 */
const EXPECTED: Record<string, readonly Kind[]> = {
  "telltale.keep=true": flagged,
  "telltale.error.class=rate_limit": ["rate-limited"],
  // Jaeger's in-memory storage does not match it (deploy/README.md says so and names what to search instead).
  "error=true": [],
  "telltale.retry.non_recoverable=true": ["non-recoverable-retry"],
  // Exactly one retry: the SDK's retry of the recovered call, and the two app-level retry() runs.
  "telltale.retry.count=1": ["recovered", "non-recoverable-retry", "args-changed"],
  "telltale.soft_error=truncated": ["truncated"],
  "telltale.workflow.outcome=partial": ["partial"],
  "telltale.retry.args_changed=true": ["args-changed"],
  "telltale.duplicate=true": ["duplicate"],
  "telltale.idempotency.missing=true": ["missing-key"],
  "telltale.budget.exceeded=true": ["over-budget"],
  "telltale.deadline.exceeded=true": ["deadline"],
  "telltale.deadline.timeout_exceeds_remaining=true": ["timeout-exceeds"],
  "telltale.late=true": ["late"],
  "telltale.orphan=true": ["orphan"],
  "telltale.unhandled_rejection=true": ["rejected"],
  "Min Duration 30s": ["slow"],
  "gen_ai.tool.name=search + Min Duration 10s": ["slow"],
  "telltale.soft_error=stream_aborted": ["stream-aborted"],
  "gen_ai.tool.name=search telltale.keep=true": ["tool-failure"],
  "gen_ai.request.model=gpt-4o-mini": onGpt4oMini,
  // The MCP tool that answered isError: its client span and the server's span both carry it.
  "error.type=tool_error": ["mcp-tool-error"],
  "telltale.soft_error=tool_is_error": ["mcp-tool-error"],
  // 2.x refuses an unknown tool with -32602 (invalid params).
  "rpc.response.status_code=-32602": ["mcp-refused"],
};

interface DocumentedQuery {
  /** The row's first cell. */
  row: string;
  /** How EXPECTED names it: the Tags text, `Min Duration <d>`, or both joined by ` + `. */
  text: string;
  tags: Record<string, string>;
  minDuration: string | undefined;
}

/** The Jaeger searches of the table under `## Query your traces` (or `## Query …` in README.md). */
function documentedQueries(file: string): DocumentedQuery[] {
  const markdown = readFileSync(path.join(REPO_ROOT, file), "utf8");
  const from = markdown.search(/^## Query your traces/m);
  const section = markdown.slice(from, markdown.indexOf("\n## ", from + 1));
  const rows = section.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| what went wrong"));
  return rows.flatMap((line) => {
    const [row = "", jaeger = ""] = line.slice(2, -2).split(" | ");
    const minDuration = /\*\*Min Duration\*\* `([^`]+)`/.exec(jaeger)?.[1];
    const tagQueries = [...jaeger.matchAll(/`([^`]+)`/g)]
      .map((match) => match[1] ?? "")
      .filter((code) => /^[\w.]+=\S+( [\w.]+=\S+)*$/.test(code));
    const queries = tagQueries.length > 0 ? tagQueries : minDuration !== undefined ? [""] : [];
    return queries.map((tagText) => ({
      row,
      text: [tagText, minDuration === undefined ? "" : `Min Duration ${minDuration}`].filter((part) => part !== "").join(" + "),
      tags: Object.fromEntries(tagText.split(" ").filter((pair) => pair !== "").map((pair) => pair.split("=") as [string, string])),
      minDuration,
    }));
  });
}

let jaeger: RunningJaeger | undefined;
let mock: MockLlm | undefined;
let provider: TracerProvider | undefined;
const traceIds = new Map<Kind, string>();

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  mock = await startMockLlm({ port: 0, seed: 5 });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": SERVICE }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${jaeger.otlpHttpUrl}/v1/traces` }), scheduledDelayMillis: 100 }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(openaiModule);
  const mcpInstrumentation = new McpInstrumentation({ enabled: false });
  mcpInstrumentation.setTracerProvider(provider);
  mcpInstrumentation.manuallyInstrument(mcpClient);
  mcpInstrumentation.manuallyInstrument(mcpServer);

  // The slow run lasts over 30 s, so it runs alongside all the others.
  const slow = runKind("slow", () => tool("search", () => sleep(31_000, "results")));
  await runAllButSlow();
  await slow;
  await provider.forceFlush();
  await pollUntil("every trace in Jaeger", async () => {
    const found = await Promise.all([...traceIds.values()].map((id) => jaeger!.client.getTrace(id)));
    return found.every((stored) => stored !== undefined) ? true : undefined;
  });
}, 300_000);

afterAll(async () => {
  await provider?.shutdown();
  await mock?.close();
  await jaeger?.stop();
});

/** Runs one workflow named after its kind; failures are the app's to handle (the trace records them). */
async function runKind(kind: Kind, body: () => Promise<unknown>, options: Parameters<typeof workflow>[1] = {}): Promise<void> {
  await workflow(kind, options, async (run) => {
    traceIds.set(kind, run.span.spanContext().traceId);
    await body();
  }).catch(() => undefined);
}

async function runAllButSlow(): Promise<void> {
  const client = new openaiModule.OpenAI({ apiKey: "sk-docs", baseURL: `${mock!.url}/v1`, maxRetries: 2 });
  const ask = (script: FaultStep[], model = "gpt-4o-mini") => {
    mock!.enqueue(...script);
    return client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }] });
  };
  const ok: FaultStep = { kind: "ok", text: "Fine." };
  const rateLimited: FaultStep = { kind: "error", error: "rate_limit", retryAfterMs: 5 };

  await runKind("healthy", () => ask([ok]));
  await runKind("other-model", () => ask([ok], "gpt-4.1-nano"));
  await runKind("recovered", () => ask([rateLimited, ok]));
  await runKind("rate-limited", () => ask([rateLimited, rateLimited, rateLimited]));
  await runKind("invalid", () => ask([{ kind: "error", error: "invalid_request", message: "bad tool schema" }]));
  await runKind("truncated", () => ask([{ kind: "truncated", text: "The answer is cut" }]));
  await runKind("stream-aborted", async () => {
    mock!.enqueue(ok);
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true });
    for await (const _chunk of stream) break;
  });
  await runKind("partial", () => step("plan", () => "planned"), { steps: ["plan", "act"] });
  await runKind("duplicate", async () => {
    await tool("charge", { sideEffect: true, idempotencyKey: "order-42" }, () => "ok");
    await tool("charge", { sideEffect: true, idempotencyKey: "order-42" }, () => "ok");
  });
  await runKind("missing-key", () => tool("send_email", { sideEffect: true }, () => "sent"));
  await runKind("over-budget", () => ask([{ kind: "ok", text: "A long answer that uses many tokens." }]), { budget: { tokens: 5 } });
  await runKind("deadline", () => tool("fetch", ({ signal }) => sleep(5_000, undefined, { signal })), { deadlineMs: 100 });
  await runKind("timeout-exceeds", () => tool("crawl", { timeoutMs: 30_000 }, () => "page"), { deadlineMs: 5_000 });
  await runKind("late", async () => {
    await step("enqueue", () => {
      void spawn("send-summary", () => sleep(200));
    });
  });
  await runKind("rejected", async () => {
    void spawn("notify", async () => {
      throw new Error("webhook failed");
    });
    await sleep(50);
  });
  await tool("cleanup", ({ span }) => {
    traceIds.set("orphan", span.spanContext().traceId);
    return "done";
  });
  await runKind("non-recoverable-retry", () =>
    retry(
      (attempt) => {
        if (attempt.number === 1) throw Object.assign(new Error("bad request"), { status: 400 });
        return "ok";
      },
      { name: "submit", retryOn: () => true, initialDelayMs: 1 },
    ),
  );
  await runKind("args-changed", () =>
    retry(
      (attempt) => {
        attempt.recordArgs({ query: `attempt ${attempt.number}` });
        if (attempt.number === 1) throw Object.assign(new Error("Too Many Requests"), { status: 429 });
        return "ok";
      },
      { name: "search", initialDelayMs: 1 },
    ),
  );
  await runKind("tool-failure", () =>
    tool("search", () => {
      throw new Error("index unavailable");
    }),
  );
  await runMcpKinds();
  await sleep(400); // the late spawn ends
}

/** An MCP client and server (2.x, in-memory transport, both instrumented) in this process. */
async function runMcpKinds(): Promise<void> {
  const server = new mcpServer.McpServer({ name: "orders", version: "1.0.0" });
  server.registerTool("get_order", { description: "Looks an order up" }, async () => ({
    content: [{ type: "text", text: "order store unavailable" }],
    isError: true,
  }));
  const client = new mcpClient.Client({ name: "agent", version: "1.0.0" });
  const [clientTransport, serverTransport] = mcpClient.InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  try {
    await runKind("mcp-tool-error", () => client.callTool({ name: "get_order", arguments: {} }));
    await runKind("mcp-refused", () => client.callTool({ name: "no_such_tool", arguments: {} }));
  } finally {
    await client.close();
    await server.close();
  }
}

function idsOf(kinds: readonly Kind[]): string[] {
  return kinds.map((kind) => traceIds.get(kind)!).sort();
}

function kindsOf(ids: string[]): string[] {
  return ids.map((id) => [...traceIds].find(([, traceId]) => traceId === id)?.[0] ?? id).sort();
}

async function search(query: DocumentedQuery): Promise<string[]> {
  const client = jaeger!.client;
  return query.minDuration === undefined
    ? client.searchTraceIdsByTags(SERVICE, query.tags)
    : client.searchTraceIdsByDuration(SERVICE, query.minDuration, query.tags);
}

describe.each(["README.md", "deploy/README.md"])("the Jaeger searches in %s", (file) => {
  const queries = documentedQueries(file);

  it("are all known to this test (a new row needs its expected answer here)", () => {
    expect(queries.length).toBeGreaterThanOrEqual(12);
    expect(queries.map((query) => query.text).filter((text) => !(text in EXPECTED))).toEqual([]);
  });

  it("each returns exactly the traces its row names", async () => {
    expect(traceIds.size).toBe(KINDS.length);
    const answers: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const query of queries) {
      const key = `${query.row}: ${query.text}`;
      answers[key] = kindsOf(await search(query));
      expected[key] = kindsOf(idsOf(EXPECTED[query.text] ?? []));
    }
    expect(answers).toEqual(expected);
  });
});

describe("the HTTP API lines in deploy/README.md", () => {
  const readme = readFileSync(path.join(REPO_ROOT, "deploy/README.md"), "utf8");
  const curlLines = readme.split("\n").filter((line) => line.startsWith("curl "));

  async function curl(line: string): Promise<unknown> {
    const hour = 3_600_000;
    const command = line
      .replaceAll("http://localhost:16686", jaeger!.queryUrl)
      .replaceAll("<service>", SERVICE)
      .replaceAll("<start>", new Date(Date.now() - hour).toISOString())
      .replaceAll("<end>", new Date(Date.now() + hour).toISOString())
      .replaceAll("<trace id>", traceIds.get("late")!);
    const { stdout } = await run("bash", ["-c", command], { encoding: "utf8" });
    return JSON.parse(stdout);
  }

  it("are four, each a curl that fails on an HTTP error", () => {
    expect(curlLines).toHaveLength(4);
    for (const line of curlLines) expect(line).toMatch(/^curl -sfG? /);
  });

  it("each runs as written and answers what it says", async () => {
    const [services, slowSearch, oneTrace, tagSearch] = await Promise.all(curlLines.map((line) => curl(line)));
    expect((services as { services: string[] }).services).toContain(SERVICE);
    const slowIds = new Set(
      ((slowSearch as { result: { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] } }).result.resourceSpans ?? [])
        .flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.traceId))),
    );
    expect([...slowIds]).toEqual([traceIds.get("slow")]);
    const spans = (oneTrace as { result: { resourceSpans: { scopeSpans: { spans: { traceId: string; name: string }[] }[] }[] } }).result
      .resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceIds.get("late")]));
    expect(spans.map((span) => span.name).sort()).toEqual(["invoke_agent late", "spawn send-summary", "step enqueue"]);
    expect((tagSearch as { data: { traceID: string }[] }).data.map((found) => found.traceID)).toEqual([traceIds.get("late")]);
  });
});
