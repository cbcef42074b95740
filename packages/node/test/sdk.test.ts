// start()/shutdown() in this process: the in-process sampler keeps a partial workflow and drops a healthy one,
// the kept one reaches the trace exporter with its reasons on the root, and the extra span processors see all.
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import { step, workflow } from "@telltale/core";
import {
  ATTR_SERVICE_NAME,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_SAMPLING_REASONS,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core/attributes";
import { getSdk, start } from "@telltale/node";
import { describe, expect, it } from "vitest";

/** Keeps what it was given after shutdown (the SDK's InMemorySpanExporter forgets on shutdown). */
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

/** Sees every span before sampling, as a demo's tree printer would. */
class SeenSpans implements SpanProcessor {
  readonly ended: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe("start() with in-process sampling", () => {
  it("OTEL_SDK_DISABLED=true starts nothing", () => {
    const disabled = start({ env: { OTEL_SDK_DISABLED: "true" } });
    expect(disabled.enabled).toBe(false);
    expect(disabled.sampler).toBeUndefined();
    expect(getSdk()).toBeUndefined();
  });

  it("keeps the partial workflow, drops the healthy one, and flushes on shutdown", async () => {
    delete process.env.ANTHROPIC_OPEN_TELEMETRY;
    const exporter = new RecordingExporter();
    const seen = new SeenSpans();
    const console: string[] = [];
    const telltale = start({
      env: { OTEL_SERVICE_NAME: "sdk-test", TELLTALE_BUDGET_TOKENS: "1000", TELLTALE_CONSOLE_SUMMARY: "true" },
      traceExporter: exporter,
      spanProcessors: [seen],
      policy: { baseline: { percentage: 0 } },
      handleSignals: false,
      consoleWrite: (text) => console.push(text),
    });
    expect(getSdk()).toBe(telltale);
    expect(start()).toBe(telltale);
    expect(telltale.destinations).toEqual(["the given trace exporter (RecordingExporter)", "console summary"]);
    expect(process.env.ANTHROPIC_OPEN_TELEMETRY).toBe("false");

    await workflow("triage", { steps: ["plan", "act"] }, async () => {
      await step("plan", () => "looked at the ticket");
    });
    await workflow("healthy", { steps: ["plan"] }, async () => {
      await step("plan", () => "done");
    });
    await telltale.shutdown();

    const partialRoot = seen.ended.find((span) => span.name === "invoke_agent triage")!;
    const healthyRoot = seen.ended.find((span) => span.name === "invoke_agent healthy")!;
    const partialTraceId = partialRoot.spanContext().traceId;
    const healthyTraceId = healthyRoot.spanContext().traceId;
    expect(seen.ended.map((span) => span.name).sort()).toEqual([
      "invoke_agent healthy",
      "invoke_agent triage",
      "step plan",
      "step plan",
    ]);

    expect(new Set(exporter.spans.map((span) => span.spanContext().traceId))).toEqual(new Set([partialTraceId]));
    const root = exporter.spans.find((span) => span.name === "invoke_agent triage")!;
    const child = exporter.spans.find((span) => span.name === "step plan")!;
    expect(child.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("partial");
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).toEqual(["act"]);
    expect(root.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toContain("partial");
    expect(root.attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBe(1000);
    expect(root.resource.attributes[ATTR_SERVICE_NAME]).toBe("sdk-test");

    expect(telltale.sampler?.stats()).toMatchObject({ tracesKept: 1, tracesDropped: 1 });
    expect(telltale.keptTraces()).toEqual([
      {
        traceId: partialTraceId,
        rootName: "invoke_agent triage",
        reasons: root.attributes[ATTR_TELLTALE_SAMPLING_REASONS],
        spanCount: 2,
      },
    ]);
    expect(telltale.keptTraces().map((trace) => trace.traceId)).not.toContain(healthyTraceId);

    const printed = console.join("");
    expect(printed).toContain(`telltale: kept trace ${partialTraceId}`);
    expect(printed).toMatch(/invoke_agent triage {2}\d+ ms {2}← partial: missing act {2}\[kept: [a-z_, ]*partial/);
    expect(printed).toMatch(/└─ step plan {2}\d+ ms\n/);
    expect(printed).toContain("telltale: 1 traces kept, 1 dropped\n");
    expect(getSdk()).toBeUndefined();
  });

  it("after shutdown a new start() works: sampling `collector` exports every span, healthy ones included", async () => {
    const exporter = new RecordingExporter();
    const telltale = start({ env: {}, sampling: "collector", traceExporter: exporter, handleSignals: false });
    expect(telltale.sampler).toBeUndefined();

    await workflow("healthy", { steps: ["plan"] }, async () => {
      await step("plan", () => "done");
    });
    await telltale.shutdown();

    const root = exporter.spans.find((span) => span.name === "invoke_agent healthy");
    const child = exporter.spans.find((span) => span.name === "step plan");
    expect(root?.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("ok");
    expect(root?.attributes).not.toHaveProperty(ATTR_TELLTALE_SAMPLING_REASONS);
    expect(child?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(root?.spanContext().traceId);
    expect(telltale.keptTraces()).toEqual([]);
  });

  it("shutdown gives up on an exporter that never answers after shutdownTimeoutMs, and says so through diag", async () => {
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: () => {},
      warn: (...args: unknown[]) => void warnings.push(args.join(" ")),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const hanging: SpanExporter = { export: () => {}, shutdown: () => new Promise<void>(() => {}) };
    const stderrLines: string[] = [];
    const telltale = start({
      env: {},
      traceExporter: hanging,
      shutdownTimeoutMs: 20,
      handleSignals: false,
      warningWrite: (text) => void stderrLines.push(text),
    });

    await workflow("failing", async () => {
      throw new Error("boom");
    }).catch(() => undefined);
    await telltale.shutdown();
    diag.disable();

    expect(telltale.sampler?.stats().tracesKept).toBe(1);
    // Through the package's component logger: its namespace, then the message.
    expect(warnings).toContain("@telltale/node shutdown did not finish within 20 ms; giving up");
    // The SDK says why it gave up; the sampler, through the same sink, says what was lost.
    expect(stderrLines).toContain(
      "telltale: shutdown gave up after 20 ms (TELLTALE_SHUTDOWN_TIMEOUT_MS) waiting for the given trace exporter (Object); " +
        "what was not delivered is counted as lost\n",
    );
    expect(stderrLines.filter((line) => line.includes("lost")).length).toBe(2);
    expect(getSdk()).toBeUndefined();
  });
});
