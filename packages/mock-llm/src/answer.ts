import {
  collectPromptText,
  createRandom,
  generateText,
  hashString,
  sampleFromSchema,
  splitIntoDeltas,
  tokensForChars,
} from "./generate.js";
import type { FaultStep, RouteName, UsageExtras } from "./types.js";

/** What a route needs to know about the request, extracted once. */
export interface RequestInfo {
  route: RouteName;
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  /** OpenAI chat: `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Text the input-token formula counts. */
  promptText: string;
  /** `max_tokens` / `max_completion_tokens` / `max_output_tokens`, if the request set one. */
  maxOutputTokens: number | undefined;
  tools: ToolDefinition[];
  seed: number;
  /** Seeded by request content: same seed + same request = same answer, whatever the arrival order. */
  contentRandom: () => number;
  /** Seeded by seed + arrival index: ids. */
  idRandom: () => number;
  nowSeconds: number;
}

export interface ToolDefinition {
  name: string;
  parameters: unknown;
}

export interface PlannedToolCall {
  id: string;
  name: string;
  /** JSON text, as the APIs send arguments. */
  arguments: string;
  input: Record<string, unknown>;
}

/** Why the answer stopped, provider-neutral; each renderer maps it to its own field values. */
export type StopKind = "stop" | "length" | "content_filter" | "tool_calls" | "refusal";

export interface PlannedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  reasoningTokens: number;
}

export interface PlannedAnswer {
  stop: StopKind;
  text: string;
  refusal: string | undefined;
  toolCalls: PlannedToolCall[];
  usage: PlannedUsage;
}

export const DEFAULT_REFUSAL = "I'm sorry, but I can't help with that request.";

function toolDefinitions(body: Record<string, unknown>): ToolDefinition[] {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const definitions: ToolDefinition[] = [];
  for (const tool of tools) {
    if (tool === null || typeof tool !== "object") continue;
    const record = tool as Record<string, unknown>;
    // Chat: { type: "function", function: { name, parameters } }; Responses: { type: "function", name, parameters };
    // Anthropic: { name, input_schema }.
    const fn = (record.function ?? record) as Record<string, unknown>;
    if (typeof fn.name !== "string") continue;
    definitions.push({ name: fn.name, parameters: fn.parameters ?? record.input_schema });
  }
  return definitions;
}

function numberField(body: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = body[key];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return undefined;
}

export function describeRequest(
  route: RouteName,
  body: Record<string, unknown>,
  seed: number,
  index: number,
  nowSeconds: number,
): RequestInfo {
  const promptParts: unknown[] = [];
  if (route === "responses") promptParts.push(body.instructions, body.input);
  else if (route === "messages") promptParts.push(body.system, body.messages);
  else if (route === "embeddings") promptParts.push(body.input);
  else promptParts.push(body.messages);
  const promptText = promptParts.map(collectPromptText).join("");
  const model = typeof body.model === "string" ? body.model : "mock-model";
  const streamOptions = body.stream_options as Record<string, unknown> | undefined;
  return {
    route,
    body,
    model,
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    promptText,
    maxOutputTokens: numberField(body, "max_completion_tokens", "max_tokens", "max_output_tokens"),
    tools: toolDefinitions(body),
    seed,
    contentRandom: createRandom(hashString(`${route}\n${model}\n${promptText}`, seed)),
    idRandom: createRandom(hashString(`id:${index}`, seed)),
    nowSeconds,
  };
}

function usageFor(info: RequestInfo, outputChars: number, extras: UsageExtras | undefined): PlannedUsage {
  return {
    inputTokens: tokensForChars(info.promptText.length),
    outputTokens: tokensForChars(outputChars),
    cacheReadInputTokens: extras?.cacheReadInputTokens ?? 0,
    cacheCreationInputTokens: extras?.cacheCreationInputTokens ?? 0,
    reasoningTokens: extras?.reasoningTokens ?? 0,
  };
}

/** Long enough to exceed `limitTokens`, so a truncated answer is really cut. */
function textLongerThan(info: RequestInfo, limitTokens: number): string {
  let text = generateText(info.contentRandom);
  while (text.length <= limitTokens * 4) text += ` ${generateText(info.contentRandom)}`;
  return text;
}

/**
 * Turns an answer-shaped step into the provider-neutral answer. Non-answer steps (errors, hangs…) never get here,
 * except `stream_cut`, `hang` and `error_payload`, whose partial streams use the normal answer's first events.
 */
export function planAnswer(step: FaultStep, info: RequestInfo, toolCallId: (index: number) => string): PlannedAnswer {
  switch (step.kind) {
    case "truncated": {
      const limit = info.maxOutputTokens;
      let text = step.text ?? (limit !== undefined ? textLongerThan(info, limit) : generateText(info.contentRandom));
      text = limit !== undefined ? text.slice(0, limit * 4) : text.slice(0, Math.ceil(text.length / 2));
      return { stop: "length", text, refusal: undefined, toolCalls: [], usage: usageFor(info, text.length, undefined) };
    }
    case "content_filter": {
      // The filter stops the answer half-way: the first half of the words get through.
      const words = splitIntoDeltas(generateText(info.contentRandom));
      const text = words.slice(0, Math.floor(words.length / 2)).join("");
      return { stop: "content_filter", text, refusal: undefined, toolCalls: [], usage: usageFor(info, text.length, undefined) };
    }
    case "refusal": {
      const refusal = step.refusal ?? DEFAULT_REFUSAL;
      return { stop: "refusal", text: "", refusal, toolCalls: [], usage: usageFor(info, refusal.length, undefined) };
    }
    case "empty":
      return { stop: "stop", text: "", refusal: undefined, toolCalls: [], usage: usageFor(info, 0, undefined) };
    case "tool_calls": {
      const specs = step.calls ?? [{}];
      const toolCalls = specs.map((spec, index): PlannedToolCall => {
        const definition = spec.name ? info.tools.find((tool) => tool.name === spec.name) : info.tools[index] ?? info.tools[0];
        const name = spec.name ?? definition?.name ?? "mock_tool";
        const sampled = sampleFromSchema(definition?.parameters ?? { type: "object" });
        const input = spec.arguments ?? (sampled !== null && typeof sampled === "object" ? (sampled as Record<string, unknown>) : {});
        return { id: toolCallId(index), name, arguments: JSON.stringify(input), input };
      });
      const chars = toolCalls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
      return { stop: "tool_calls", text: "", refusal: undefined, toolCalls, usage: usageFor(info, chars, step.usage) };
    }
    default: {
      const explicitText = step.kind === "ok" || step.kind === "latency" ? step.text : undefined;
      const extras = step.kind === "ok" ? step.usage : undefined;
      let text = explicitText ?? generateText(info.contentRandom);
      const limit = info.maxOutputTokens;
      // A normal answer longer than the request's token limit is cut like the real APIs do.
      if (limit !== undefined && tokensForChars(text.length) > limit) {
        text = text.slice(0, limit * 4);
        return { stop: "length", text, refusal: undefined, toolCalls: [], usage: usageFor(info, text.length, extras) };
      }
      return { stop: "stop", text, refusal: undefined, toolCalls: [], usage: usageFor(info, text.length, extras) };
    }
  }
}
