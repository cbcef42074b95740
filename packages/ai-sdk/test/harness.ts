// Test harness: the shared test telemetry (in-memory exporters registered globally once per test file), the three
// `ai` majors with their matching `@ai-sdk/openai` and `@ai-sdk/anthropic` providers, and the mock LLM on loopback.
import { createAnthropic } from "@ai-sdk/anthropic";
import { createAnthropic as createAnthropic2 } from "@ai-sdk/anthropic-v2";
import { createAnthropic as createAnthropic3 } from "@ai-sdk/anthropic-v3";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAI as createOpenAI2 } from "@ai-sdk/openai-v2";
import { createOpenAI as createOpenAI3 } from "@ai-sdk/openai-v3";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as ai7 from "ai";
import * as ai5 from "ai-v5";
import * as ai6 from "ai-v6";
import { telltaleMiddleware } from "@telltale/ai-sdk";

export { allSpansExporter, attr, exporter, metricPoints, metricReader, onlySpan, spans, until } from "@telltale/test-utils/telemetry";

export const API_KEY = "sk-telltale-test-SECRET-0123456789";

/** A language model of any major, typed as ai 7's (the tests touch the surface the three majors share). */
export type Model = Parameters<typeof ai7.generateText>[0]["model"];

export interface Major {
  label: string;
  major: 5 | 6 | 7;
  /** The `ai` module namespace; 5 and 6 typed as 7's (same surface for what these tests touch). */
  ai: typeof ai7;
  openai(mock: MockLlm, modelId: string, api?: "responses" | "chat"): Model;
  anthropic(mock: MockLlm, modelId: string): Model;
  /** The OpenAI provider itself (what `wrapProvider` takes). */
  openaiProvider(mock: MockLlm): Parameters<typeof ai7.wrapProvider>[0]["provider"];
}

type OpenAIFactory = (options: { baseURL: string; apiKey: string }) => ((modelId: string) => unknown) & { chat(modelId: string): unknown };
type AnthropicFactory = (options: { baseURL: string; apiKey: string }) => (modelId: string) => unknown;

function major(label: string, number: 5 | 6 | 7, module: unknown, openaiFactory: OpenAIFactory, anthropicFactory: AnthropicFactory): Major {
  return {
    label,
    major: number,
    ai: module as typeof ai7,
    openai: (mock, modelId, api = "responses") => {
      const provider = openaiFactory({ baseURL: `${mock.url}/v1`, apiKey: API_KEY });
      return (api === "chat" ? provider.chat(modelId) : provider(modelId)) as Model;
    },
    anthropic: (mock, modelId) => anthropicFactory({ baseURL: `${mock.url}/v1`, apiKey: API_KEY })(modelId) as Model,
    openaiProvider: (mock) => openaiFactory({ baseURL: `${mock.url}/v1`, apiKey: API_KEY }) as unknown as Parameters<typeof ai7.wrapProvider>[0]["provider"],
  };
}

export const MAJORS: Major[] = [
  major("ai 5", 5, ai5, createOpenAI2 as unknown as OpenAIFactory, createAnthropic2 as unknown as AnthropicFactory),
  major("ai 6", 6, ai6, createOpenAI3 as unknown as OpenAIFactory, createAnthropic3 as unknown as AnthropicFactory),
  major("ai 7", 7, ai7, createOpenAI as unknown as OpenAIFactory, createAnthropic as unknown as AnthropicFactory),
];

/** The model wrapped in Telltale's middleware. */
export function instrumented(major: Major, model: Model): Model {
  return major.ai.wrapLanguageModel({ model: model as Parameters<typeof ai7.wrapLanguageModel>[0]["model"], middleware: telltaleMiddleware() }) as Model;
}

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 7 });
  return mockPromise;
}

/** A scenario key unique to one test, so that concurrent files never share a fault sequence. */
let scenarioCounter = 0;
export function scenario(name: string): string {
  scenarioCounter += 1;
  return `[scenario:${name}#${process.pid}-${scenarioCounter}]`;
}
