// Test harness: the shared test telemetry (in-memory exporters, registered globally once per test file), the three
// `openai` majors instrumented through the manual-module path, and the mock LLM on loopback.
import { OpenAIInstrumentation, type OpenAIInstrumentationConfig } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as openai7 from "openai";
import * as openai5 from "openai-v5";
import * as openai6 from "openai-v6";

// The tracer and meter providers for this file are registered when this import runs.
export { allSpansExporter, attr, everyValue, exporter, metricPoints, metricReader, onlySpan, spans, until } from "@telltale/test-utils/telemetry";

/** The API key every test client uses: no attribute may ever contain it. */
export const API_KEY = "sk-telltale-test-SECRET-0123456789";

/** One instrumentation for the file; `enabled: false` keeps the require/import hooks out of the test process. */
export const instrumentation = new OpenAIInstrumentation({ enabled: false });

export interface Major {
  label: string;
  /** The module namespace, as `import * as m from "openai"` gives it. */
  module: typeof openai7;
}

// openai 5 and 6 have the same public surface for everything these tests touch; typing them as 7's namespace keeps
// the tests free of per-major casts.
export const MAJORS: Major[] = [
  { label: "openai 5", module: openai5 as unknown as typeof openai7 },
  { label: "openai 6", module: openai6 as unknown as typeof openai7 },
  { label: "openai 7", module: openai7 },
];

export function instrumentAll(config: OpenAIInstrumentationConfig = {}): void {
  instrumentation.setConfig({ enabled: false, ...config });
  for (const major of MAJORS) instrumentation.manuallyInstrument(major.module);
}

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 7 });
  return mockPromise;
}

export function client(major: Major, mock: MockLlm, options: { maxRetries?: number; timeout?: number; baseURL?: string } = {}): InstanceType<typeof openai7.OpenAI> {
  return new major.module.OpenAI({
    apiKey: API_KEY,
    baseURL: options.baseURL ?? `${mock.url}/v1`,
    maxRetries: options.maxRetries ?? 2,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  });
}
