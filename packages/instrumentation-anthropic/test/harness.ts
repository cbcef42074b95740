// Shared test setup: one tracer and meter provider for the file, both @anthropic-ai/sdk majors (0.x and 1.x)
// instrumented through the manual-module path, and the mock LLM on loopback.
import { AnthropicInstrumentation, type AnthropicInstrumentationConfig } from "@telltale/instrumentation-anthropic";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as anthropic1 from "@anthropic-ai/sdk";
import * as anthropic0 from "anthropic-v0";

// The tracer and meter providers for this file are registered when this import runs.
export { attr, exporter, metricPoints, metricReader, onlySpan, spans, until } from "@telltale/test-utils/telemetry";

/** The API key every test client uses: no attribute may ever contain it. */
export const API_KEY = "sk-ant-telltale-test-SECRET-0123456789";

/** One instrumentation for the file; `enabled: false` keeps the require/import hooks out of the test process. */
export const instrumentation = new AnthropicInstrumentation({ enabled: false });

export interface Major {
  label: string;
  /** The module namespace, as `import * as m from "@anthropic-ai/sdk"` gives it. */
  module: typeof anthropic1;
}

// 0.137 and 1.x have the same public surface for everything these tests touch; typing 0.x as 1.x's namespace keeps
// the tests free of per-major casts.
export const MAJORS: Major[] = [
  { label: "@anthropic-ai/sdk 0.x", module: anthropic0 as unknown as typeof anthropic1 },
  { label: "@anthropic-ai/sdk 1.x", module: anthropic1 },
];

export function instrumentAll(config: AnthropicInstrumentationConfig = {}): void {
  instrumentation.setConfig({ enabled: false, ...config });
  for (const major of MAJORS) instrumentation.manuallyInstrument(major.module);
}

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 11 });
  return mockPromise;
}

export interface ClientOptions {
  maxRetries?: number;
  timeout?: number;
  /** Keep the SDK's own OpenTelemetry spans (off by default here, so only Telltale's spans are exported). */
  sdkSpans?: boolean;
  /** Defaults to the mock's URL. */
  baseURL?: string;
}

export function client(major: Major, mock: MockLlm, options: ClientOptions = {}): InstanceType<typeof anthropic1.Anthropic> {
  return new major.module.Anthropic({
    apiKey: API_KEY,
    baseURL: options.baseURL ?? mock.url,
    maxRetries: options.maxRetries ?? 2,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.sdkSpans === true ? {} : { openTelemetry: false }),
  });
}
