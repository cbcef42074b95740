/**
 * A support agent on the Vercel AI SDK (ai 7) with two tools, instrumented by Telltale: `start()` registers the AI
 * SDK integration app-wide, `instrumentTools` says which tool has side effects. Six runs against an embedded mock
 * LLM: a healthy one, one whose model call is retried, one whose tool finds nothing, one that refunds twice, one
 * stopped at its step limit, and a streamed answer the user aborts. It prints what the in-process tail sampler kept and why.
 *
 *   node dist/agent.mjs          # a summary
 *   node dist/agent.mjs --json   # the same as JSON
 */
import { createOpenAI } from "@ai-sdk/openai";
import { instrumentTools } from "@telltale/ai-sdk";
import { startMockLlm, type FaultStep } from "@telltale/mock-llm";
import { start } from "@telltale/node";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

const orders: Record<string, { status: string }> = { A100: { status: "shipped" } };
const tools = instrumentTools(
  {
    lookup_order: tool({
      description: "Find an order by id",
      inputSchema: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => orders[orderId] ?? null,
    }),
    refund_order: tool({
      description: "Refund an order",
      inputSchema: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => ({ refunded: orderId }),
    }),
  },
  { refund_order: { sideEffect: true, idempotencyKey: ({ orderId }) => `refund:${orderId}` } },
);

const lookup = (orderId: string): FaultStep => ({ kind: "tool_calls", calls: [{ name: "lookup_order", arguments: { orderId } }] });

interface Run {
  name: string;
  faults: FaultStep[];
  stream?: boolean;
}

const runs: Run[] = [
  { name: "healthy", faults: [lookup("A100"), { kind: "ok", text: "Your order A100 has shipped." }] },
  { name: "retried", faults: [{ kind: "error", error: "rate_limit", retryAfterMs: 20 }, lookup("A100"), { kind: "ok" }] },
  { name: "empty_tool_result", faults: [lookup("Z999"), { kind: "ok", text: "I could not find it, sorry." }] },
  {
    name: "duplicate_refund",
    faults: [
      { kind: "tool_calls", calls: [{ name: "refund_order", arguments: { orderId: "A100" } }, { name: "refund_order", arguments: { orderId: "A100" } }] },
      { kind: "ok", text: "Refunded." },
    ],
  },
  { name: "step_limit", faults: [lookup("A100"), lookup("A100"), lookup("A100")] },
  { name: "abandoned_stream", faults: [{ kind: "ok", text: "A long answer the user stops reading after the first words.", chunkDelayMs: 5 }], stream: true },
];

async function main(): Promise<void> {
  // One line turns Telltale on; the policy keeps every trace that went wrong and no healthy one (no baseline sample).
  const telltale = start({ serviceName: "support-agent", handleSignals: false, policy: { baseline: { percentage: 0 } } });
  const mock = await startMockLlm({ port: 0, seed: 3 });
  const openai = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: "mock" });

  for (const run of runs) {
    mock.enqueue(...run.faults);
    const settings = {
      model: openai("gpt-4o-mini"),
      tools,
      stopWhen: stepCountIs(3),
      prompt: `Where is my order? (${run.name})`,
      telemetry: { functionId: `support.${run.name}` },
    };
    if (run.stream === true) {
      const controller = new AbortController();
      const result = streamText({ ...settings, abortSignal: controller.signal });
      for await (const text of result.textStream) {
        if (text.length > 0) {
          controller.abort();
          break;
        }
      }
    } else {
      await generateText(settings).catch(() => undefined);
    }
  }

  await mock.close();
  // Late spans and retries settle within a moment; shutdown decides and flushes every pending trace.
  await telltale.shutdown();

  const kept = telltale.keptTraces().map((trace) => ({ root: trace.rootName, reasons: trace.reasons }));
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ runs: runs.length, kept }));
  } else {
    console.log(`${runs.length} runs, ${kept.length} traces kept:`);
    for (const trace of kept) console.log(`  ${trace.root}: ${trace.reasons.join(", ")}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
