/**
 * Turns what the Messages API answered (a `message`, or the events of a stream) into one summary, and writes it on
 * the call span: response model and id, stop reason, usage (with prompt-cache reads and writes), the tool_use blocks
 * the model asked for, soft errors (F4) and, when content capture is on, the output message.
 */
import { type LlmCall, type LlmUsage } from "@telltale/core/instrumentation";
import { GEN_AI_FINISH_REASON_VALUE_ERROR, type SoftErrorKind } from "@telltale/core/attributes";
import {
  fieldsOf,
  itemsOf,
  numberOf,
  recordResponseSummary,
  stringOf,
  type ContentCapture,
  type Fields,
  type GenAiConventions,
  type GenAiMessage,
} from "@telltale/instrumentation-common";
import { blockParts } from "./request.js";

export interface MessageSummary {
  responseId?: string;
  responseModel?: string;
  stopReason?: string;
  usage?: LlmUsage;
  toolCalls: Array<{ id?: string; name: string }>;
  /** Only filled when content capture is on. */
  outputMessages: GenAiMessage[];
  softError?: { kind: SoftErrorKind; detail?: string };
  /** The message was interrupted or cut short: it is partial, whatever it holds. */
  unfinished?: boolean;
}

/**
 * Anthropic's `input_tokens` counts only the uncached part of the prompt; the GenAI conventions (and core's price
 * table) count cache reads and writes as part of the input.
 */
export function usageOf(rawUsage: unknown): LlmUsage | undefined {
  const usage = fieldsOf(rawUsage);
  if (usage === undefined) return undefined;
  const result: LlmUsage = {};
  const uncached = numberOf(usage.input_tokens);
  const cacheRead = numberOf(usage.cache_read_input_tokens);
  const cacheCreation = numberOf(usage.cache_creation_input_tokens);
  const output = numberOf(usage.output_tokens);
  if (uncached !== undefined || cacheRead !== undefined || cacheCreation !== undefined) {
    result.inputTokens = (uncached ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0);
  }
  if (cacheRead !== undefined) result.cacheReadInputTokens = cacheRead;
  if (cacheCreation !== undefined) result.cacheCreationInputTokens = cacheCreation;
  if (output !== undefined) result.outputTokens = output;
  return result;
}

function hasOutput(block: Fields): boolean {
  if (block.type === "text") return (stringOf(block.text) ?? "").length > 0;
  // Thinking is the model's scratchpad, not an answer: an answer of thinking alone gave the caller nothing.
  if (block.type === "thinking" || block.type === "redacted_thinking") return false;
  // tool_use, server tool calls and their results …: the model did answer.
  return typeof block.type === "string";
}

/** Summarizes a Messages API response (or one rebuilt from stream events). */
export function summarizeMessage(message: Fields, capture: ContentCapture): MessageSummary {
  const summary: MessageSummary = { toolCalls: [], outputMessages: [] };
  const id = stringOf(message.id);
  const model = stringOf(message.model);
  if (id !== undefined) summary.responseId = id;
  if (model !== undefined) summary.responseModel = model;

  // A 200 whose body is an error object: the SDK hands it over as if it were a message.
  if (message.type === "error") {
    const error = fieldsOf(message.error);
    summary.softError = { kind: "error_payload", detail: stringOf(error?.type) ?? "error" };
    return summary;
  }

  const usage = usageOf(message.usage);
  if (usage !== undefined) summary.usage = usage;
  const stopReason = stringOf(message.stop_reason);
  if (stopReason !== undefined) summary.stopReason = stopReason;

  let anyOutput = false;
  for (const raw of itemsOf(message.content)) {
    const block = fieldsOf(raw);
    if (block === undefined) continue;
    if (hasOutput(block)) anyOutput = true;
    if (block.type === "tool_use" || block.type === "server_tool_use") {
      const name = stringOf(block.name);
      const toolUseId = stringOf(block.id);
      if (name !== undefined) summary.toolCalls.push({ ...(toolUseId !== undefined ? { id: toolUseId } : {}), name });
    }
  }
  if (capture.enabled) {
    summary.outputMessages.push({
      role: stringOf(message.role) ?? "assistant",
      parts: itemsOf(message.content).flatMap(blockParts),
      ...(stopReason !== undefined ? { finish_reason: stopReason } : {}),
    });
  }

  if (stopReason === "refusal") summary.softError = { kind: "refusal", detail: "refusal" };
  else if (stopReason === "max_tokens" || stopReason === "model_context_window_exceeded") summary.softError = { kind: "truncated", detail: stopReason };
  else if (stopReason === "pause_turn") summary.softError = { kind: "incomplete", detail: stopReason };
  else if (!anyOutput && stopReason !== undefined) summary.softError = { kind: "empty_output", detail: stopReason };
  return summary;
}

/**
 * Writes a summary on the call; the caller ends the call. A message that never got its stop reason has no finish
 * reason, except in the latest GenAI conventions, which ask for `error` where one was expected but never came.
 */
export function applySummary(call: LlmCall, summary: MessageSummary, capture: ContentCapture, conventions: GenAiConventions): void {
  const finishReasons =
    summary.stopReason !== undefined ? [summary.stopReason] : summary.unfinished && conventions === "latest" ? [GEN_AI_FINISH_REASON_VALUE_ERROR] : [];
  recordResponseSummary(call, { ...summary, finishReasons }, capture);
}

interface BlockBuffer {
  type: string;
  id?: string;
  name?: string;
  text: string[];
  hasText: boolean;
  json: string[];
}

/**
 * Rebuilds a message from the events of a `stream: true` call, as far as they went: `message_start` carries the id,
 * model and input usage, `content_block_*` the blocks, `message_delta` the stop reason and the final usage, and
 * `message_stop` ends the stream.
 */
export class MessageStreamAccumulator {
  private start: Fields | undefined;
  private usage: Record<string, unknown> = {};
  private stopReason: string | undefined;
  private sawDelta = false;
  private sawStop = false;
  private readonly blocks = new Map<number, BlockBuffer>();

  constructor(private readonly keepText: boolean) {}

  add(rawEvent: unknown): void {
    const event = fieldsOf(rawEvent);
    if (event === undefined) return;
    switch (event.type) {
      case "message_start": {
        this.start = fieldsOf(event.message);
        // Its output_tokens is a placeholder (the API sends 1): only message_delta's count is the provider's.
        for (const [key, value] of Object.entries(fieldsOf(this.start?.usage) ?? {})) {
          if (key !== "output_tokens") this.usage[key] = value;
        }
        break;
      }
      case "content_block_start": {
        const block = fieldsOf(event.content_block);
        const type = stringOf(block?.type);
        if (type === undefined) break;
        const text = stringOf(block?.text) ?? "";
        const id = stringOf(block?.id);
        const name = stringOf(block?.name);
        this.blocks.set(numberOf(event.index) ?? this.blocks.size, {
          type,
          ...(id !== undefined ? { id } : {}),
          ...(name !== undefined ? { name } : {}),
          text: this.keepText && text.length > 0 ? [text] : [],
          hasText: text.length > 0,
          json: [],
        });
        break;
      }
      case "content_block_delta": {
        const buffer = this.blocks.get(numberOf(event.index) ?? -1);
        const delta = fieldsOf(event.delta);
        if (buffer === undefined || delta === undefined) break;
        const text = stringOf(delta.text);
        if (text !== undefined && text.length > 0) {
          buffer.hasText = true;
          if (this.keepText) buffer.text.push(text);
        }
        const json = stringOf(delta.partial_json);
        if (json !== undefined && this.keepText) buffer.json.push(json);
        break;
      }
      case "message_delta": {
        this.sawDelta = true;
        const stopReason = stringOf(fieldsOf(event.delta)?.stop_reason);
        if (stopReason !== undefined) this.stopReason = stopReason;
        // The final counts: output always, input and cache counts when the API repeats them.
        for (const [key, value] of Object.entries(fieldsOf(event.usage) ?? {})) {
          if (value !== null && value !== undefined) this.usage[key] = value;
        }
        break;
      }
      case "message_stop":
        this.sawStop = true;
        break;
      default:
        break;
    }
  }

  /** What the stream lacked to be complete, or undefined when it was. */
  missingEnd(): string | undefined {
    if (!this.sawDelta) return "no message_delta";
    return this.sawStop ? undefined : "no message_stop";
  }

  /** The message received so far, in the non-streaming shape. */
  message(): Fields {
    const content = [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, block]) => {
        if (block.type === "text") {
          // Without content capture only "was there any text" matters (empty-output detection).
          return { type: "text", text: this.keepText ? block.text.join("") : block.hasText ? " " : "" };
        }
        if (block.type === "tool_use" || block.type === "server_tool_use") {
          let input: unknown = {};
          if (this.keepText && block.json.length > 0) {
            try {
              input = JSON.parse(block.json.join(""));
            } catch {
              input = block.json.join("");
            }
          }
          return { type: block.type, id: block.id, name: block.name, input };
        }
        return { type: block.type };
      });
    return {
      id: this.start?.id,
      model: this.start?.model,
      role: this.start?.role ?? "assistant",
      type: "message",
      content,
      stop_reason: this.stopReason,
      usage: Object.keys(this.usage).length > 0 ? this.usage : undefined,
    };
  }
}
