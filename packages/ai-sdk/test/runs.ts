// The two ways a run is instrumented, as the run tests drive them: `agentRun` with the middleware-wrapped model
// (ai 5, 6, 7), and ai 7's telemetry integration alone (the model not wrapped).
import { agentRun, telltaleTelemetry, type AgentRunOptions } from "@telltale/ai-sdk";
import type { MockLlm } from "@telltale/mock-llm";
import { instrumented, MAJORS, type Major, type Model } from "./harness.js";

export interface RunMode {
  label: string;
  major: Major;
  /** The model to pass the AI SDK. */
  model(mock: MockLlm, provider: "openai" | "anthropic"): Model;
  /** Runs `call` as the run `name`; `settings` go into the AI SDK call. */
  run<T>(name: string, options: AgentRunOptions, call: (settings: RunSettings) => T | PromiseLike<T>): Promise<T>;
}

/** What the mode adds to the AI SDK call (ai 7's per-call telemetry integration). */
export type RunSettings = { telemetry?: { functionId: string; integrations: ReturnType<typeof telltaleTelemetry>[] } };

function modelOf(major: Major, mock: MockLlm, provider: "openai" | "anthropic"): Model {
  return provider === "openai" ? major.openai(mock, "gpt-4o-mini", "chat") : major.anthropic(mock, "claude-sonnet-4-5");
}

export const RUN_MODES: RunMode[] = [
  ...MAJORS.map((major) => ({
    label: `${major.label} agentRun + middleware`,
    major,
    model: (mock: MockLlm, provider: "openai" | "anthropic") => instrumented(major, modelOf(major, mock, provider)),
    run: <T>(name: string, options: AgentRunOptions, call: (settings: RunSettings) => T | PromiseLike<T>) => agentRun(name, options, () => call({})),
  })),
  {
    label: "ai 7 telemetry integration",
    major: MAJORS[2]!,
    model: (mock: MockLlm, provider: "openai" | "anthropic") => modelOf(MAJORS[2]!, mock, provider),
    run: async <T>(name: string, options: AgentRunOptions, call: (settings: RunSettings) => T | PromiseLike<T>) =>
      call({ telemetry: { functionId: name, integrations: [telltaleTelemetry({ run: options })] } }),
  },
];
