/**
 * Content capture: prompts, completions and tool arguments on `gen_ai.input.messages` / `gen_ai.output.messages`
 * (GenAI semantic conventions), off by default. Only message content is ever captured: never API keys, headers or
 * request options.
 */
import type { DiagLogger } from "@opentelemetry/api";
import { COMMON_DIAG } from "./diag.js";

/** The environment variable the GenAI instrumentations share for turning content capture on (`true`). */
export const CAPTURE_MESSAGE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/** Default maximum length of one captured text (characters), after redaction. */
export const DEFAULT_CONTENT_MAX_LENGTH = 8192;

/** What replaces a text whose redaction hook threw: content is dropped rather than captured unredacted. */
export const REDACTION_FAILED = "[redaction failed]";

export interface ContentCaptureConfig {
  /** Capture message content. Default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`, else false. */
  captureMessageContent?: boolean;
  /** Maximum characters kept of each captured text; longer texts are cut and marked. Default 8192. */
  contentMaxLength?: number;
  /** Rewrites each captured text before it is truncated and recorded (e.g. to mask emails or ids). */
  redact?: (content: string) => string;
}

/** One part of a message, as the GenAI semantic conventions' message schema spells it. */
export type GenAiMessagePart =
  | { type: "text"; content: string }
  | { type: "tool_call"; id?: string; name: string; arguments?: string }
  | { type: "tool_call_response"; id?: string; response: string }
  /** A tool the provider ran itself (web search, code interpreter, a remote MCP server …). */
  | { type: "server_tool_call"; id?: string; name: string; server_tool_call: { type: string; arguments?: string } }
  | { type: "server_tool_call_response"; id?: string; server_tool_call_response: { type: string; response?: string } }
  | { type: "refusal"; content: string };

/** A message of `gen_ai.input.messages` / `gen_ai.output.messages`. */
export interface GenAiMessage {
  role: string;
  parts: GenAiMessagePart[];
  /** Output messages only. */
  finish_reason?: string;
}

export interface ContentCapture {
  /** Whether content is captured at all; when false, nothing below should be called. */
  readonly enabled: boolean;
  /** Redacts and truncates one text. */
  text(content: string): string;
  /** Redacts and truncates every text of `messages` and serializes them for a `gen_ai.*.messages` attribute. */
  serialize(messages: readonly GenAiMessage[]): string;
}

function envEnablesCapture(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[CAPTURE_MESSAGE_CONTENT_ENV]?.trim().toLowerCase() === "true";
}

/** Resolves the content-capture settings from the config, falling back to the environment. A failing redaction
 * hook is reported to `logger`. */
export function resolveContentCapture(
  config: ContentCaptureConfig = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
  logger: DiagLogger = COMMON_DIAG,
): ContentCapture {
  const enabled = config.captureMessageContent ?? envEnablesCapture(env);
  const maxLength =
    config.contentMaxLength !== undefined && config.contentMaxLength >= 0
      ? Math.floor(config.contentMaxLength)
      : DEFAULT_CONTENT_MAX_LENGTH;
  const redact = config.redact;

  const text = (content: string): string => {
    let value = content;
    if (redact) {
      try {
        value = String(redact(value));
      } catch (err) {
        logger.error("the content redaction hook threw; the content is not captured", err);
        return REDACTION_FAILED;
      }
    }
    if (value.length <= maxLength) return value;
    return `${value.slice(0, maxLength)}…[truncated ${value.length - maxLength} chars]`;
  };

  const part = (p: GenAiMessagePart): GenAiMessagePart => {
    switch (p.type) {
      case "text":
      case "refusal":
        return { ...p, content: text(p.content) };
      case "tool_call":
        return p.arguments === undefined ? p : { ...p, arguments: text(p.arguments) };
      case "tool_call_response":
        return { ...p, response: text(p.response) };
      case "server_tool_call": {
        const call = p.server_tool_call;
        return call.arguments === undefined ? p : { ...p, server_tool_call: { ...call, arguments: text(call.arguments) } };
      }
      case "server_tool_call_response": {
        const result = p.server_tool_call_response;
        return result.response === undefined ? p : { ...p, server_tool_call_response: { ...result, response: text(result.response) } };
      }
    }
  };

  return {
    enabled,
    text,
    serialize: (messages) => JSON.stringify(messages.map((m) => ({ ...m, parts: m.parts.map(part) }))),
  };
}
