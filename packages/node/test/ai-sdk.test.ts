// start() with the Vercel AI SDK present: on ai 7 the app-wide hook is registered once, and an agent run with a
// retried model call reaches the exporter as a run with its call, without any code in the app.
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { isTelltaleTelemetry } from "@telltale/ai-sdk";
import { startMockLlm } from "@telltale/mock-llm";
import { start } from "@telltale/node";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";
import path from "node:path";
import { expect, it } from "vitest";

class RecordingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

it("registers Telltale's AI SDK integration on ai 7 and exports the run with every attempt", async () => {
  // The app's `ai` is looked up from the working directory, as it would be from an app's root.
  process.chdir(path.resolve(import.meta.dirname, ".."));
  const exporter = new RecordingExporter();
  const telltale = start({ env: { OTEL_SERVICE_NAME: "ai-sdk-app", TELLTALE_SAMPLING: "collector" }, traceExporter: exporter, handleSignals: false });
  start();
  expect((globalThis.AI_SDK_TELEMETRY_INTEGRATIONS ?? []).filter(isTelltaleTelemetry)).toHaveLength(1);
  const mock = await startMockLlm({ port: 0 });
  try {
    mock.enqueue({ kind: "error", error: "overloaded", retryAfterMs: 5 }, { kind: "ok", text: "All good" });
    const openai = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: "test" });
    const result = await generateText({ model: openai("gpt-4o-mini"), prompt: "Are you there?", telemetry: { functionId: "checker" } });
    expect(result.text).toBe("All good");
  } finally {
    await mock.close();
    await telltale.shutdown();
  }
  const run = exporter.spans.find((span) => span.name === "invoke_agent checker");
  const call = exporter.spans.find((span) => span.name === "chat gpt-4o-mini");
  expect(run?.attributes["telltale.workflow.outcome"]).toBe("ok");
  expect(call?.parentSpanContext?.traceId ?? call?.spanContext().traceId).toBe(run?.spanContext().traceId);
  expect(call?.attributes["telltale.attempt.status_codes"]).toEqual([503, 200]);
  expect(call?.attributes["telltale.retry.reasons"]).toEqual(["server_error"]);
});
