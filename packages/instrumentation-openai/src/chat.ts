/** Chat Completions: a completion, or one rebuilt from the chunks of a `stream: true` call, as a summary. */
import {
  fieldsOf,
  itemsOf,
  numberOf,
  stringOf,
  type ContentCapture,
  type Fields,
  type GenAiMessagePart,
} from "@telltale/instrumentation-common";
import {
  NO_ITEMS,
  append,
  detail,
  errorPayloadDetail,
  openaiResponseAttributes,
  type ResponseSummary,
  type UsageFieldNames,
  usageOf,
} from "./summary.js";

// Never written to: every push below is behind `capture.enabled`.
const NO_PARTS: GenAiMessagePart[] = [];

const CHAT_USAGE_FIELDS: UsageFieldNames = {
  input: "prompt_tokens",
  output: "completion_tokens",
  inputDetails: "prompt_tokens_details",
  outputDetails: "completion_tokens_details",
};

/** Summarizes a chat completion (or one rebuilt from stream chunks). */
export function summarizeChatCompletion(completion: Fields, capture: ContentCapture): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: NO_ITEMS, toolCalls: NO_ITEMS, outputMessages: NO_ITEMS };
  const id = stringOf(completion.id);
  const model = stringOf(completion.model);
  if (id !== undefined) summary.responseId = id;
  if (model !== undefined) summary.responseModel = model;
  const usage = usageOf(fieldsOf(completion.usage), CHAT_USAGE_FIELDS);
  if (usage !== undefined) summary.usage = usage;
  const attributes = openaiResponseAttributes(completion);
  if (attributes !== undefined) summary.attributes = attributes;
  if (completion.error !== undefined && completion.error !== null) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(completion.error) };
    return summary;
  }
  const choices = itemsOf(completion.choices);
  const answer = readChoices(choices, summary, capture);
  if (summary.finishReasons.includes("content_filter")) summary.softError = { kind: "content_filter", detail: "content_filter" };
  else if (answer.refusal !== undefined) summary.softError = { kind: "refusal", detail: detail(answer.refusal) };
  else if (summary.finishReasons.includes("length")) summary.softError = { kind: "truncated", detail: "length" };
  else if (!answer.anyOutput && summary.finishReasons.length > 0) summary.softError = { kind: "empty_output" };
  else if (choices.length === 0) summary.softError = { kind: "empty_output", detail: "no choices" };
  return summary;
}

/** Adds each choice's finish reason, tool calls and (with capture) output message to `summary`. */
function readChoices(
  choices: readonly unknown[],
  summary: ResponseSummary,
  capture: ContentCapture,
): { anyOutput: boolean; refusal: string | undefined } {
  let anyOutput = false;
  let refusal: string | undefined;
  for (const rawChoice of choices) {
    const choice = fieldsOf(rawChoice);
    if (choice === undefined) continue;
    const finishReason = stringOf(choice.finish_reason);
    if (finishReason !== undefined) summary.finishReasons = append(summary.finishReasons, finishReason);
    const message = fieldsOf(choice.message);
    const content = stringOf(message?.content);
    const choiceRefusal = stringOf(message?.refusal);
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
    if (readToolCalls(message, summary, capture.enabled ? parts : undefined)) anyOutput = true;
    if (capture.enabled) {
      summary.outputMessages = append(summary.outputMessages, {
        role: stringOf(message?.role) ?? "assistant",
        parts,
        ...(finishReason !== undefined ? { finish_reason: finishReason } : {}),
      });
    }
  }
  return { anyOutput, refusal };
}

/** Adds a message's tool calls to `summary` (and to `parts` when content is captured); true when it had any. */
function readToolCalls(message: Fields | undefined, summary: ResponseSummary, parts: GenAiMessagePart[] | undefined): boolean {
  let any = false;
  for (const rawCall of itemsOf(message?.tool_calls)) {
    const toolCall = fieldsOf(rawCall);
    const fn = fieldsOf(toolCall?.function) ?? fieldsOf(toolCall?.custom);
    const name = stringOf(fn?.name);
    if (name === undefined) continue;
    any = true;
    const id = stringOf(toolCall?.id);
    summary.toolCalls = append(summary.toolCalls, { ...(id !== undefined ? { id } : {}), name });
    if (parts !== undefined) {
      const args = stringOf(fn?.arguments) ?? stringOf(fn?.input);
      parts.push({ type: "tool_call", ...(id !== undefined ? { id } : {}), name, ...(args !== undefined ? { arguments: args } : {}) });
    }
  }
  return any;
}

interface ChoiceBuffer {
  role?: string;
  content: string[];
  hasContent: boolean;
  refusal: string[];
  finishReason?: string;
  toolCalls: Map<number, { id?: string; name: string; arguments: string[] }>;
}

/**
 * Rebuilds a chat completion from the chunks of a `stream: true` call, as far as they went, and knows whether they
 * went all the way: every choice the request asked for (`n`) got its finish reason, and with
 * `stream_options.include_usage` the usage chunk came. The SDK hides `[DONE]`, so those are the stream's end.
 */
export class ChatStreamAccumulator {
  private id: string | undefined;
  private model: string | undefined;
  private usage: unknown;
  private serviceTier: string | undefined;
  private fingerprint: string | undefined;
  private readonly choices = new Map<number, ChoiceBuffer>();
  private readonly expectedChoices: number;
  private readonly expectsUsage: boolean;

  constructor(
    private readonly keepText: boolean,
    body: unknown,
  ) {
    const request = fieldsOf(body);
    const n = numberOf(request?.n);
    this.expectedChoices = n !== undefined && n >= 1 ? Math.floor(n) : 1;
    this.expectsUsage = fieldsOf(request?.stream_options)?.include_usage === true;
  }

  add(chunk: unknown): void {
    const fields = fieldsOf(chunk);
    if (fields === undefined) return;
    this.id ??= stringOf(fields.id);
    this.model ??= stringOf(fields.model);
    this.serviceTier ??= stringOf(fields.service_tier);
    this.fingerprint ??= stringOf(fields.system_fingerprint);
    if (fields.usage !== undefined && fields.usage !== null) this.usage = fields.usage;
    for (const rawChoice of itemsOf(fields.choices)) {
      const choice = fieldsOf(rawChoice);
      if (choice !== undefined) this.addChoiceDelta(choice);
    }
  }

  /** What the stream lacked to be complete, or undefined when it was. */
  missingEnd(): string | undefined {
    let finished = 0;
    for (const buffer of this.choices.values()) if (buffer.finishReason !== undefined) finished += 1;
    if (finished < this.expectedChoices) return "no finish_reason";
    if (this.expectsUsage && this.usage === undefined) return "no usage chunk";
    return undefined;
  }

  /** Each expected choice's finish reason, in order; undefined where none arrived. */
  finishReasons(): Array<string | undefined> {
    let count = this.expectedChoices;
    for (const index of this.choices.keys()) count = Math.max(count, index + 1);
    return Array.from({ length: count }, (_, index) => this.choices.get(index)?.finishReason);
  }

  /** The completion received so far, in the non-streaming shape. */
  completion(): Fields {
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
    return {
      id: this.id,
      model: this.model,
      usage: this.usage,
      service_tier: this.serviceTier,
      system_fingerprint: this.fingerprint,
      choices,
    };
  }

  private addChoiceDelta(choice: Fields): void {
    const index = numberOf(choice.index) ?? 0;
    let buffer = this.choices.get(index);
    if (buffer === undefined) {
      buffer = { content: [], hasContent: false, refusal: [], toolCalls: new Map() };
      this.choices.set(index, buffer);
    }
    const finishReason = stringOf(choice.finish_reason);
    if (finishReason !== undefined) buffer.finishReason = finishReason;
    const delta = fieldsOf(choice.delta);
    if (delta === undefined) return;
    buffer.role ??= stringOf(delta.role);
    const content = stringOf(delta.content);
    if (content !== undefined && content.length > 0) {
      buffer.hasContent = true;
      if (this.keepText) buffer.content.push(content);
    }
    const refusal = stringOf(delta.refusal);
    if (refusal !== undefined) buffer.refusal.push(refusal);
    for (const rawCall of itemsOf(delta.tool_calls)) this.addToolCallDelta(buffer, fieldsOf(rawCall));
  }

  private addToolCallDelta(buffer: ChoiceBuffer, toolCall: Fields | undefined): void {
    if (toolCall === undefined) return;
    const callIndex = numberOf(toolCall.index) ?? 0;
    const fn = fieldsOf(toolCall.function);
    let entry = buffer.toolCalls.get(callIndex);
    if (entry === undefined) {
      entry = { name: "", arguments: [] };
      buffer.toolCalls.set(callIndex, entry);
    }
    const id = stringOf(toolCall.id);
    if (id !== undefined) entry.id = id;
    const name = stringOf(fn?.name);
    if (name !== undefined) entry.name += name;
    const args = stringOf(fn?.arguments);
    if (args !== undefined && this.keepText) entry.arguments.push(args);
  }
}
