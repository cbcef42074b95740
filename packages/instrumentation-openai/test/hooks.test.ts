// The three ways in: the real CommonJS require hook and the OpenTelemetry ESM loader hook (each in a child process,
// as an app would run), and the bundler escape hatches instrumentClient / manuallyInstrument, with disable()
// restoring the SDK's own methods.
import { fileURLToPath } from "node:url";
import { isWrapped } from "@opentelemetry/instrumentation";
import {
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_RETRY_COUNT,
} from "@telltale/core/attributes";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import type { MockLlm } from "@telltale/mock-llm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runChild } from "@telltale/test-utils/calls";
import { MAJORS, attr, client, exporter, mockLlm, onlySpan, spans } from "./harness.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("hooks in a real process", () => {
  it("CommonJS: registerInstrumentations, then require('openai'): a span with both attempts", async () => {
    const report = await runChild([fixture("cjs-require-hook.cjs")]);
    expect(report.loader).toBe("cjs");
    expect(report.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]).toEqual([429, 200]);
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(1);
  });

  it("ESM: node --import <register file> with @opentelemetry/instrumentation/hook.mjs: a span with both attempts", async () => {
    const report = await runChild(["--import", fixture("esm-register.mjs"), fixture("esm-app.mjs")]);
    expect(report.loader).toBe("esm");
    expect(report.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
    expect(report.spans[0]?.attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]).toEqual([429, 200]);
    // Without the opt-in, the pinned conventions: no reasoning level.
    expect(report.spans[0]?.attributes[ATTR_GEN_AI_REQUEST_REASONING_LEVEL]).toBeUndefined();
  });

  it("OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental node --import ./register.mjs app.mjs: the latest conventions", async () => {
    const report = await runChild(["--import", fixture("esm-register.mjs"), fixture("esm-app.mjs")], {
      OTEL_SEMCONV_STABILITY_OPT_IN: "gen_ai_latest_experimental",
    });
    expect(report.spans.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
    expect(report.spans[0]?.attributes[ATTR_GEN_AI_REQUEST_REASONING_LEVEL]).toBe("low");
  });
});

describe.each(MAJORS)("$label escape hatches", (major) => {
  let mock: MockLlm;
  beforeAll(async () => {
    mock = await mockLlm();
  });
  beforeEach(() => {
    exporter.reset();
    mock.reset();
  });

  const completionsProto = (): Record<string, unknown> =>
    (major.module.OpenAI as unknown as { Chat: { Completions: { prototype: Record<string, unknown> } } }).Chat.Completions.prototype;
  const clientProto = (): Record<string, unknown> => major.module.OpenAI.prototype as unknown as Record<string, unknown>;

  const apiPromiseProto = (): Record<string, unknown> =>
    (major.module as unknown as { APIPromise: { prototype: Record<string, unknown> } }).APIPromise.prototype;

  it("instrumentClient(client) traces that client's calls and disable() restores the SDK's methods", async () => {
    const originalCreate = completionsProto().create;
    const originalFetch = clientProto().fetchWithTimeout;
    const originalBuild = clientProto().buildRequest;
    const originalRetry = clientProto().retryRequest;
    const originalShouldRetry = clientProto().shouldRetry;
    const originalParse = apiPromiseProto().parse;
    const originalAsResponse = apiPromiseProto().asResponse;
    const originalThenUnwrap = apiPromiseProto()._thenUnwrap;
    const instrumentation = new OpenAIInstrumentation({ enabled: false });
    const c = client(major, mock);
    expect(instrumentation.instrumentClient(c)).toBe(c);
    expect(isWrapped(completionsProto().create)).toBe(true);
    // The retry check and the retry end a first attempt, on every major; only a client that retries while reading a
    // body (openai 7) gets its request options marked.
    expect(isWrapped(clientProto().shouldRetry)).toBe(true);
    expect(isWrapped(clientProto().retryRequest)).toBe(true);
    const retriesWhileParsing = typeof clientProto().parseResponseWithTimeout === "function";
    expect(major.label === "openai 7").toBe(retriesWhileParsing);
    expect(isWrapped(clientProto().buildRequest)).toBe(retriesWhileParsing);

    mock.enqueue({ kind: "error", error: "server_error", retryAfterMs: 10 }, { kind: "ok" });
    const pending = c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hatch" }] });
    // Observed through the APIPromise class, patched once, not through methods added to each returned promise.
    expect(pending).toBeInstanceOf(major.module.APIPromise);
    expect(Object.hasOwn(pending, "parse")).toBe(false);
    expect(apiPromiseProto().parse).not.toBe(originalParse);
    expect(apiPromiseProto()._thenUnwrap).toBe(originalThenUnwrap);
    await pending;
    expect(attr(onlySpan("chat gpt-4o-mini"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([500, 200]);

    instrumentation.disable();
    expect(completionsProto().create).toBe(originalCreate);
    expect(clientProto().fetchWithTimeout).toBe(originalFetch);
    expect(clientProto().buildRequest).toBe(originalBuild);
    expect(clientProto().retryRequest).toBe(originalRetry);
    expect(clientProto().shouldRetry).toBe(originalShouldRetry);
    expect(apiPromiseProto().parse).toBe(originalParse);
    expect(apiPromiseProto().asResponse).toBe(originalAsResponse);
    exporter.reset();
    await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hatch" }] });
    expect(spans()).toHaveLength(0);
  });

  it("manuallyInstrument(OpenAI class) works too and is idempotent", async () => {
    const instrumentation = new OpenAIInstrumentation({ enabled: false });
    instrumentation.manuallyInstrument(major.module.OpenAI);
    instrumentation.manuallyInstrument(major.module.OpenAI);
    await client(major, mock).embeddings.create({ model: "text-embedding-3-small", input: "x" });
    expect(spans().map((s) => s.name)).toEqual(["embeddings text-embedding-3-small"]);
    instrumentation.disable();
    expect(isWrapped(completionsProto().create)).toBe(false);
  });
});
