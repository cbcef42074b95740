// The three ways in: the real CommonJS require hook and the OpenTelemetry ESM loader hook (each in a child process,
// as an app would run), and the bundler escape hatches instrumentClient / manuallyInstrument, with disable()
// restoring the SDK's own methods.
import { fileURLToPath } from "node:url";
import { isWrapped } from "@opentelemetry/instrumentation";
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_RETRY_REASONS,
} from "@telltale/core/attributes";
import { AnthropicInstrumentation } from "@telltale/instrumentation-anthropic";
import type { MockLlm } from "@telltale/mock-llm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runChild } from "@telltale/test-utils/calls";
import { MAJORS, attr, client, exporter, mockLlm, onlySpan, spans } from "./harness.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("hooks in a real process", () => {
  it("CommonJS: registerInstrumentations, then require('@anthropic-ai/sdk'): one span with the 529 and the 200", async () => {
    const report = await runChild([fixture("cjs-require-hook.cjs")]);
    expect(report.loader).toBe("cjs");
    expect(report.spans.map((s) => s.name)).toEqual(["chat claude-haiku-4-5"]);
    expect(report.spans[0]?.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe("anthropic");
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]).toEqual([529, 200]);
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_RETRY_REASONS]).toEqual(["overloaded"]);
    expect(report.spans[0]?.attributes[ATTR_GEN_AI_REQUEST_REASONING_LEVEL]).toBeUndefined();
  });

  it("OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental node -r ./tracing.cjs app.js: the latest conventions", async () => {
    const report = await runChild([fixture("cjs-require-hook.cjs")], { OTEL_SEMCONV_STABILITY_OPT_IN: "gen_ai_latest_experimental" });
    expect(report.spans.map((s) => s.name)).toEqual(["chat claude-haiku-4-5"]);
    expect(report.spans[0]?.attributes[ATTR_GEN_AI_REQUEST_REASONING_LEVEL]).toBe("low");
  });

  it("ESM: node --import <register file> with @opentelemetry/instrumentation/hook.mjs: one span with both attempts", async () => {
    const report = await runChild(["--import", fixture("esm-register.mjs"), fixture("esm-app.mjs")]);
    expect(report.loader).toBe("esm");
    expect(report.spans.map((s) => s.name)).toEqual(["chat claude-haiku-4-5"]);
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]).toEqual([429, 200]);
  });
});

describe.each(MAJORS)("$label escape hatches", (major) => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await mockLlm();
  });
  beforeEach(() => {
    exporter.reset();
    mock.setScript({});
    mock.reset();
  });

  const messagesProto = (): Record<string, unknown> =>
    (major.module.Anthropic as unknown as { Messages: { prototype: Record<string, unknown> } }).Messages.prototype;
  const betaMessagesProto = (): Record<string, unknown> =>
    (major.module.Anthropic as unknown as { Beta: { Messages: { prototype: Record<string, unknown> } } }).Beta.Messages.prototype;
  const fetchOwner = (): Record<string, unknown> =>
    Object.getPrototypeOf(major.module.Anthropic.prototype) as Record<string, unknown>;
  const body = { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user" as const, content: "hatch" }] };

  it("instrumentClient(client) traces that client's calls and disable() restores the SDK's methods", async () => {
    const originalCreate = messagesProto().create;
    const originalBetaCreate = betaMessagesProto().create;
    const originalFetch = fetchOwner().fetchWithTimeout;
    const instrumentation = new AnthropicInstrumentation({ enabled: false });
    const c = client(major, mock);
    expect(instrumentation.instrumentClient(c)).toBe(c);
    expect(isWrapped(messagesProto().create)).toBe(true);
    expect(isWrapped(betaMessagesProto().create)).toBe(true);

    mock.enqueue({ kind: "error", error: "server_error", retryAfterMs: 10 }, { kind: "ok" });
    await c.messages.create(body);
    expect(attr(onlySpan("chat claude-haiku-4-5"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([500, 200]);

    instrumentation.disable();
    expect(messagesProto().create).toBe(originalCreate);
    expect(betaMessagesProto().create).toBe(originalBetaCreate);
    expect(fetchOwner().fetchWithTimeout).toBe(originalFetch);
    exporter.reset();
    await c.messages.create(body);
    expect(spans()).toHaveLength(0);
  });

  it("manuallyInstrument(Anthropic class) works too and is idempotent", async () => {
    const instrumentation = new AnthropicInstrumentation({ enabled: false });
    instrumentation.manuallyInstrument(major.module.Anthropic);
    instrumentation.manuallyInstrument(major.module.Anthropic);
    await client(major, mock).messages.create(body);
    expect(spans().map((s) => s.name)).toEqual(["chat claude-haiku-4-5"]);
    instrumentation.disable();
    expect(isWrapped(messagesProto().create)).toBe(false);
  });
});
