/**
 * Turns what the OpenAI API answered (a response object, or the chunks of a stream) into one summary, which
 * `recordResponseSummary` writes on the call span: response model and id, finish reasons, usage, the tool calls the
 * model asked for, soft errors (F4) and, when content capture is on, the output messages.
 */
import type { LlmUsage } from "@telltale/core";
import type {
  ContentCapture,
  GenAiMessagePart,
  ResponseSummary as CommonResponseSummary,
} from "@telltale/instrumentation-common";
import { asArray, asBag, num, str, type Bag } from "./shapes.js";

export interface ToolCallSummary {
  id?: string;
  name: string;
  arguments?: string;
}

export interface ResponseSummary extends CommonResponseSummary {
  toolCalls: ToolCallSummary[];
}

const SOFT_ERROR_DETAIL_MAX = 120;

// Never written to: every push below is behind `capture.enabled`.
const NO_PARTS: GenAiMessagePart[] = [];

// A chat summary's lists until their first item, through `append`: most completions have one finish reason and no
// tool call, and an array grown by a first push reserves 17 slots. Frozen, so a stray push fails loudly.
const NO_ITEMS: never[] = Object.freeze([]) as never[];

function append<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

function detail(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > SOFT_ERROR_DETAIL_MAX ? `${text.slice(0, SOFT_ERROR_DETAIL_MAX)}…` : text;
}

function errorPayloadDetail(error: unknown): string {
  const bag = asBag(error);
  return detail(str(bag?.code) ?? str(bag?.type) ?? str(bag?.message) ?? "error") ?? "error";
}

// ------------------------------------------------------------------------------------------------------------------
// Chat Completions
// ------------------------------------------------------------------------------------------------------------------

function chatUsage(usage: Bag | undefined): LlmUsage | undefined {
  if (usage === undefined) return undefined;
  const result: LlmUsage = {};
  const input = num(usage.prompt_tokens);
  const output = num(usage.completion_tokens);
  const cached = num(asBag(usage.prompt_tokens_details)?.cached_tokens);
  const reasoning = num(asBag(usage.completion_tokens_details)?.reasoning_tokens);
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (cached !== undefined) result.cacheReadInputTokens = cached;
  if (reasoning !== undefined) result.reasoningOutputTokens = reasoning;
  return result;
}

/** Summarizes a chat completion (or one rebuilt from stream chunks). */
export function summarizeChatCompletion(completion: Bag, capture: ContentCapture): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: NO_ITEMS, toolCalls: NO_ITEMS, outputMessages: NO_ITEMS };
  const id = str(completion.id);
  const model = str(completion.model);
  if (id !== undefined) summary.responseId = id;
  if (model !== undefined) summary.responseModel = model;
  const usage = chatUsage(asBag(completion.usage));
  if (usage !== undefined) summary.usage = usage;
  if (completion.error !== undefined && completion.error !== null) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(completion.error) };
    return summary;
  }

  let anyOutput = false;
  let refusal: string | undefined;
  const choices = asArray(completion.choices);
  for (const rawChoice of choices) {
    const choice = asBag(rawChoice);
    if (choice === undefined) continue;
    const finishReason = str(choice.finish_reason);
    if (finishReason !== undefined) summary.finishReasons = append(summary.finishReasons, finishReason);
    const message = asBag(choice.message);
    const content = str(message?.content);
    const choiceRefusal = str(message?.refusal);
    // Only content capture reads the parts: without it, nothing is allocated per choice.
    const parts: GenAiMessagePart[] = capture.enabled ? [] : NO_PARTS;
    if (content !== undefined && content.length > 0) {
      anyOutput = true;
      if (capture.enabled) parts.push({ type: "text", content });
    }
    if (choiceRefusal !== undefined && choiceRefusal.length > 0) {
      refusal ??= choiceRefusal;
      if (capture.enabled) parts.push({ type: "refusal", content: choiceRefusal });
    }
    for (const rawCall of asArray(message?.tool_calls)) {
      const toolCall = asBag(rawCall);
      const fn = asBag(toolCall?.function) ?? asBag(toolCall?.custom);
      const name = str(fn?.name);
      if (name === undefined) continue;
      anyOutput = true;
      const id = str(toolCall?.id);
      const args = str(fn?.arguments) ?? str(fn?.input);
      summary.toolCalls = append(summary.toolCalls, { ...(id !== undefined ? { id } : {}), name });
      if (capture.enabled) parts.push({ type: "tool_call", ...(id !== undefined ? { id } : {}), name, ...(args !== undefined ? { arguments: args } : {}) });
    }
    if (capture.enabled) {
      summary.outputMessages = append(summary.outputMessages, {
        role: str(message?.role) ?? "assistant",
        parts,
        ...(finishReason !== undefined ? { finish_reason: finishReason } : {}),
      });
    }
  }

  if (summary.finishReasons.includes("content_filter")) summary.softError = { kind: "content_filter", detail: "content_filter" };
  else if (refusal !== undefined) summary.softError = { kind: "refusal", detail: detail(refusal) };
  else if (summary.finishReasons.includes("length")) summary.softError = { kind: "truncated", detail: "length" };
  else if (!anyOutput && summary.finishReasons.length > 0) summary.softError = { kind: "empty_output" };
  else if (choices.length === 0) summary.softError = { kind: "empty_output", detail: "no choices" };
  return summary;
}

interface ChoiceBuffer {
  role?: string;
  content: string[];
  hasContent: boolean;
  refusal: string[];
  finishReason?: string;
  toolCalls: Map<number, { id?: string; name: string; arguments: string[] }>;
}

/** Rebuilds a chat completion from the chunks of a `stream: true` call, as far as they went. */
export class ChatStreamAccumulator {
  private id: string | undefined;
  private model: string | undefined;
  private usage: unknown;
  private readonly choices = new Map<number, ChoiceBuffer>();
  chunks = 0;

  constructor(private readonly keepText: boolean) {}

  add(chunk: unknown): void {
    const bag = asBag(chunk);
    if (bag === undefined) return;
    this.chunks += 1;
    this.id ??= str(bag.id);
    this.model ??= str(bag.model);
    if (bag.usage !== undefined && bag.usage !== null) this.usage = bag.usage;
    for (const rawChoice of asArray(bag.choices)) {
      const choice = asBag(rawChoice);
      if (choice === undefined) continue;
      const index = num(choice.index) ?? 0;
      let buffer = this.choices.get(index);
      if (buffer === undefined) {
        buffer = { content: [], hasContent: false, refusal: [], toolCalls: new Map() };
        this.choices.set(index, buffer);
      }
      const finishReason = str(choice.finish_reason);
      if (finishReason !== undefined) buffer.finishReason = finishReason;
      const delta = asBag(choice.delta);
      if (delta === undefined) continue;
      buffer.role ??= str(delta.role);
      const content = str(delta.content);
      if (content !== undefined && content.length > 0) {
        buffer.hasContent = true;
        if (this.keepText) buffer.content.push(content);
      }
      const refusal = str(delta.refusal);
      if (refusal !== undefined) buffer.refusal.push(refusal);
      for (const rawCall of asArray(delta.tool_calls)) {
        const toolCall = asBag(rawCall);
        if (toolCall === undefined) continue;
        const callIndex = num(toolCall.index) ?? 0;
        const fn = asBag(toolCall.function);
        let entry = buffer.toolCalls.get(callIndex);
        if (entry === undefined) {
          entry = { name: "", arguments: [] };
          buffer.toolCalls.set(callIndex, entry);
        }
        const id = str(toolCall.id);
        if (id !== undefined) entry.id = id;
        const name = str(fn?.name);
        if (name !== undefined) entry.name += name;
        const args = str(fn?.arguments);
        if (args !== undefined && this.keepText) entry.arguments.push(args);
      }
    }
  }

  /** The completion received so far, in the non-streaming shape. */
  completion(): Bag {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, buffer]) => ({
        index,
        finish_reason: buffer.finishReason ?? null,
        message: {
          role: buffer.role ?? "assistant",
          // Without content capture only "was there any content" matters (empty-output detection).
          content: this.keepText ? buffer.content.join("") : buffer.hasContent ? " " : "",
          refusal: buffer.refusal.length > 0 ? buffer.refusal.join("") : null,
          tool_calls: [...buffer.toolCalls.values()]
            .filter((t) => t.name.length > 0)
            .map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments.join("") } })),
        },
      }));
    return { id: this.id, model: this.model, usage: this.usage, choices };
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Responses
// ------------------------------------------------------------------------------------------------------------------

function responsesUsage(usage: Bag | undefined): LlmUsage | undefined {
  if (usage === undefined) return undefined;
  const result: LlmUsage = {};
  const input = num(usage.input_tokens);
  const output = num(usage.output_tokens);
  const cached = num(asBag(usage.input_tokens_details)?.cached_tokens);
  const reasoning = num(asBag(usage.output_tokens_details)?.reasoning_tokens);
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (cached !== undefined) result.cacheReadInputTokens = cached;
  if (reasoning !== undefined) result.reasoningOutputTokens = reasoning;
  return result;
}

/** Summarizes a Responses API `response` object. */
export function summarizeResponse(response: Bag, capture: ContentCapture): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: [], toolCalls: [], outputMessages: [] };
  const id = str(response.id);
  const model = str(response.model);
  if (id !== undefined) summary.responseId = id;
  if (model !== undefined) summary.responseModel = model;
  const usage = responsesUsage(asBag(response.usage));
  if (usage !== undefined) summary.usage = usage;

  let anyOutput = false;
  let refusal: string | undefined;
  const parts: GenAiMessagePart[] = [];
  for (const rawItem of asArray(response.output)) {
    const item = asBag(rawItem);
    if (item === undefined) continue;
    if (item.type === "message") {
      for (const rawContent of asArray(item.content)) {
        const content = asBag(rawContent);
        if (content?.type === "output_text") {
          const text = str(content.text) ?? "";
          if (text.length > 0) anyOutput = true;
          if (capture.enabled && text.length > 0) parts.push({ type: "text", content: text });
        } else if (content?.type === "refusal") {
          const text = str(content.refusal) ?? "";
          refusal ??= text;
          if (capture.enabled) parts.push({ type: "refusal", content: text });
        }
      }
    } else if (item.type === "function_call" || item.type === "custom_tool_call") {
      const name = str(item.name);
      if (name === undefined) continue;
      anyOutput = true;
      const callId = str(item.call_id);
      summary.toolCalls.push({ ...(callId !== undefined ? { id: callId } : {}), name });
      if (capture.enabled) {
        const args = str(item.arguments) ?? str(item.input);
        parts.push({ type: "tool_call", ...(callId !== undefined ? { id: callId } : {}), name, ...(args !== undefined ? { arguments: args } : {}) });
      }
    } else if (typeof item.type === "string" && item.type.endsWith("_call")) {
      // Built-in tools (web search, file search …) are output too.
      anyOutput = true;
    }
  }

  const status = str(response.status);
  const incompleteReason = str(asBag(response.incomplete_details)?.reason);
  let finishReason: string | undefined;
  if (status === "completed") finishReason = summary.toolCalls.length > 0 ? "tool_calls" : "stop";
  else if (status === "incomplete") finishReason = incompleteReason ?? "incomplete";
  else if (status === "failed") finishReason = "error";
  else if (status !== undefined) finishReason = status;
  if (finishReason !== undefined) summary.finishReasons.push(finishReason);
  if (capture.enabled && (parts.length > 0 || finishReason !== undefined)) {
    summary.outputMessages.push({ role: "assistant", parts, ...(finishReason !== undefined ? { finish_reason: finishReason } : {}) });
  }

  if (status === "failed" || (response.error !== undefined && response.error !== null)) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(response.error) };
  } else if (status === "incomplete") {
    if (incompleteReason === "max_output_tokens") summary.softError = { kind: "truncated", detail: incompleteReason };
    else if (incompleteReason === "content_filter") summary.softError = { kind: "content_filter", detail: incompleteReason };
    else summary.softError = { kind: "incomplete", detail: detail(incompleteReason ?? "incomplete") };
  } else if (refusal !== undefined) {
    summary.softError = { kind: "refusal", detail: detail(refusal) };
  } else if (!anyOutput && status === "completed") {
    summary.softError = { kind: "empty_output" };
  }
  return summary;
}

/** Follows a Responses event stream; the terminal event carries the whole response. */
export class ResponsesStreamAccumulator {
  private latest: Bag | undefined;
  private final: Bag | undefined;
  private readonly text: string[] = [];
  private streamError: Bag | undefined;
  chunks = 0;

  constructor(private readonly keepText: boolean) {}

  add(event: unknown): void {
    const bag = asBag(event);
    if (bag === undefined) return;
    this.chunks += 1;
    const type = str(bag.type);
    const response = asBag(bag.response);
    if (response !== undefined) {
      this.latest = response;
      if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") this.final = response;
    }
    if (type === "response.output_text.delta" && this.keepText) {
      const delta = str(bag.delta);
      if (delta !== undefined) this.text.push(delta);
    }
    if (type === "error") this.streamError = bag;
  }

  /** The response as far as the stream went: the terminal one, else the latest snapshot with the text so far. */
  response(): Bag {
    if (this.final !== undefined) return this.final;
    const partial: Record<string, unknown> = { ...this.latest };
    if (this.streamError !== undefined) partial.error = { code: this.streamError.code, message: this.streamError.message };
    // A snapshot from `response.created` has no output yet; what was streamed is the best record of it.
    partial.output = this.text.length > 0 ? [{ type: "message", content: [{ type: "output_text", text: this.text.join("") }] }] : [];
    // Not "completed": a partial stream must not be judged as an empty answer.
    partial.status = this.streamError !== undefined ? "failed" : "in_progress";
    return partial;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Embeddings
// ------------------------------------------------------------------------------------------------------------------

export function summarizeEmbeddings(result: Bag): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: [], toolCalls: [], outputMessages: [] };
  const model = str(result.model);
  if (model !== undefined) summary.responseModel = model;
  const input = num(asBag(result.usage)?.prompt_tokens);
  if (input !== undefined) summary.usage = { inputTokens: input };
  if (result.error !== undefined && result.error !== null) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(result.error) };
  } else if (asArray(result.data).length === 0) {
    summary.softError = { kind: "empty_output", detail: "no embeddings" };
  }
  return summary;
}
