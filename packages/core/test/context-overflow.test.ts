// Every way the two providers say "the request does not fit the model's context window", as the real SDKs raise it:
// the error classes come from `openai` and `@anthropic-ai/sdk` themselves (APIError.generate is what the SDKs call on
// an HTTP error; `new APIError(undefined, body)` is what their stream readers throw on an `error` event).
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { classifyError } from "@telltale/core";

const headers = new Headers({ "content-type": "application/json" });

function openaiHttpError(status: number, error: { message: string; type: string; code?: string | null; param?: string | null }): unknown {
  return OpenAI.APIError.generate(status, { error }, undefined, headers);
}

function anthropicHttpError(status: number, type: string, message: string): unknown {
  return Anthropic.APIError.generate(status, { type: "error", error: { type, message } }, undefined, headers);
}

describe("context-window overflows are context_length_exceeded, not invalid_request (F3)", () => {
  it.each([
    [
      "OpenAI chat, messages too long",
      openaiHttpError(400, {
        message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 173172 tokens. Please reduce the length of the messages.",
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      }),
    ],
    [
      "OpenAI chat, messages plus completion too long (no code)",
      openaiHttpError(400, {
        message: "This model's maximum context length is 4097 tokens. However, you requested 4120 tokens (3120 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
        type: "invalid_request_error",
        param: "messages",
      }),
    ],
    [
      "OpenAI embeddings (no code)",
      openaiHttpError(400, {
        message: "This model's maximum context length is 8192 tokens, however you requested 8238 tokens (8238 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
        type: "invalid_request_error",
        param: null,
      }),
    ],
    [
      "OpenAI Responses API (no code)",
      openaiHttpError(400, {
        message: "Your input exceeds the context window of this model. Please adjust your input and try again.",
        type: "invalid_request_error",
        param: "input",
      }),
    ],
    [
      "OpenAI gpt-5 input limit (no code)",
      openaiHttpError(400, {
        message: "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in 289650 tokens. Please reduce the length of the messages.",
        type: "invalid_request_error",
        param: "messages",
      }),
    ],
    [
      "OpenAI Responses stream `error` event",
      new OpenAI.APIError(undefined, {
        type: "error",
        code: "context_length_exceeded",
        message: "Your input exceeds the context window of this model. Please adjust your input and try again.",
        param: "input",
        sequence_number: 2,
      }, undefined, headers),
    ],
    [
      "OpenAI stream error with the body nested one level deeper",
      new OpenAI.APIError(undefined, {
        type: "error",
        message: "request rejected",
        sequence_number: 2,
        error: { type: "invalid_request_error", code: "context_length_exceeded", message: "rejected", param: "input" },
      }, undefined, headers),
    ],
    ["Anthropic, prompt too long", anthropicHttpError(400, "invalid_request_error", "prompt is too long: 208000 tokens > 200000 maximum")],
    [
      "Anthropic, input plus max_tokens over the limit",
      anthropicHttpError(
        400,
        "invalid_request_error",
        "input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again",
      ),
    ],
    [
      "Anthropic stream `error` event",
      new Anthropic.APIError(
        undefined,
        { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 201000 tokens > 200000 maximum" } },
        undefined,
        headers,
      ),
    ],
    [
      "model_context_window_exceeded reported as an error code",
      new Anthropic.APIError(undefined, { type: "error", error: { type: "model_context_window_exceeded", message: "model context window exceeded" } }, undefined, headers),
    ],
  ])("%s", (_label, error) => {
    expect(classifyError(error)).toMatchObject({ errorClass: "context_length_exceeded", recoverable: false });
  });

  it.each([
    [
      "Anthropic, max_tokens above the model's output limit",
      anthropicHttpError(400, "invalid_request_error", "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929"),
    ],
    [
      "OpenAI, max_tokens above the model's completion limit",
      openaiHttpError(400, {
        message: "max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000.",
        type: "invalid_request_error",
        param: "max_tokens",
        code: "invalid_value",
      }),
    ],
    ["Anthropic, a malformed request", anthropicHttpError(400, "invalid_request_error", "messages.0.content: Field required")],
  ])("leaves a plain invalid request alone: %s", (_label, error) => {
    expect(classifyError(error)).toMatchObject({ errorClass: "invalid_request", recoverable: false, statusCode: 400 });
  });
});
