// The GenAI semantic conventions' request and response attributes for OpenAI (chat, Responses, embeddings), with
// the convention version OTEL_SEMCONV_STABILITY_OPT_IN picks: the pinned one by default, the latest experimental one
// with gen_ai_latest_experimental. On each of openai 5, 6 and 7.
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID,
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_OPENAI_API_TYPE,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
  ATTR_TELLTALE_SOFT_ERROR,
} from "@telltale/core/attributes";
import { genAiConventionsFrom } from "@telltale/instrumentation-common";
import type { MockLlm } from "@telltale/mock-llm";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, attr, client, exporter, instrumentAll, mockLlm, onlySpan } from "./harness.js";

const MODEL = "gpt-4o-mini";
const messages = [{ role: "user" as const, content: "Say hello" }];

let mock: MockLlm;
beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
});
beforeEach(() => {
  exporter.reset();
  mock.reset();
});
afterEach(() => {
  delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  instrumentAll();
});

describe.each(MAJORS)("$label", (major) => {
  describe("chat.completions.create", () => {
    it("records every sampling and output parameter the conventions name, and the OpenAI-specific ones", async () => {
      await client(major, mock).chat.completions.create({
        model: MODEL,
        messages,
        max_completion_tokens: 200,
        temperature: 0.2,
        top_p: 0.9,
        frequency_penalty: 0.5,
        presence_penalty: -0.25,
        stop: ["END", "STOP"],
        seed: 42,
        n: 1,
        response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } },
        service_tier: "flex",
      });
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_OPENAI_API_TYPE]: "chat_completions",
        [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 200,
        [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
        [ATTR_GEN_AI_REQUEST_TOP_P]: 0.9,
        [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 0.5,
        [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: -0.25,
        [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ["END", "STOP"],
        [ATTR_GEN_AI_REQUEST_SEED]: 42,
        [ATTR_GEN_AI_OUTPUT_TYPE]: "json",
        [ATTR_OPENAI_REQUEST_SERVICE_TIER]: "flex",
        // The mock answers as the API does: the tier that served the request, and the backend fingerprint.
        [ATTR_OPENAI_RESPONSE_SERVICE_TIER]: "default",
        [ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT]: "fp_mock",
      });
      // Conditionally required only when not 1; a non-streaming request has no gen_ai.request.stream.
      expect(attr(span, ATTR_GEN_AI_REQUEST_CHOICE_COUNT)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_REQUEST_STREAM)).toBeUndefined();
    });

    it("a single stop string, n ≠ 1, a text format, and service_tier auto (which the conventions leave out)", async () => {
      await client(major, mock).chat.completions.create({
        model: MODEL,
        messages,
        stop: "END",
        n: 3,
        response_format: { type: "text" },
        service_tier: "auto",
      });
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ["END"],
        [ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: 3,
        [ATTR_GEN_AI_OUTPUT_TYPE]: "text",
      });
      expect(attr(span, ATTR_OPENAI_REQUEST_SERVICE_TIER)).toBeUndefined();
    });

    it("audio output is gen_ai.output.type speech", async () => {
      await client(major, mock).chat.completions.create({
        model: MODEL,
        messages,
        modalities: ["text", "audio"],
        audio: { voice: "alloy", format: "wav" },
      });
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_GEN_AI_OUTPUT_TYPE)).toBe("speech");
    });

    it("a streaming request has gen_ai.request.stream true", async () => {
      const stream = await client(major, mock).chat.completions.create({ model: MODEL, messages, stream: true });
      for await (const chunk of stream) expect(chunk.object).toBe("chat.completion.chunk");
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_GEN_AI_REQUEST_STREAM)).toBe(true);
    });
  });

  describe("responses.create", () => {
    it("records the Responses parameters, the conversation and the API type", async () => {
      await client(major, mock).responses.create({
        model: MODEL,
        input: "Say hello",
        max_output_tokens: 100,
        temperature: 0.7,
        top_p: 0.5,
        text: { format: { type: "json_object" } },
        service_tier: "priority",
        conversation: "conv_123",
      });
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_OPENAI_API_TYPE]: "responses",
        [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 100,
        [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.7,
        [ATTR_GEN_AI_REQUEST_TOP_P]: 0.5,
        [ATTR_GEN_AI_OUTPUT_TYPE]: "json",
        [ATTR_OPENAI_REQUEST_SERVICE_TIER]: "priority",
        [ATTR_GEN_AI_CONVERSATION_ID]: "conv_123",
      });
      expect(attr(span, ATTR_GEN_AI_REQUEST_STREAM)).toBeUndefined();
    });
  });

  describe("embeddings.create", () => {
    it("records the encoding format and dimensions the caller asked for, and no API type", async () => {
      await client(major, mock).embeddings.create({ model: "text-embedding-3-small", input: "x", encoding_format: "float", dimensions: 64 });
      const span = onlySpan("embeddings text-embedding-3-small");
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: ["float"],
        [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: 64,
      });
      expect(attr(span, ATTR_OPENAI_API_TYPE)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_REQUEST_STREAM)).toBeUndefined();
    });

    it("without one, no encoding format (the SDK's own base64 default is not the caller's request)", async () => {
      await client(major, mock).embeddings.create({ model: "text-embedding-3-small", input: "x" });
      expect(attr(onlySpan("embeddings text-embedding-3-small"), ATTR_GEN_AI_REQUEST_ENCODING_FORMATS)).toBeUndefined();
    });
  });

  describe("OTEL_SEMCONV_STABILITY_OPT_IN", () => {
    const reasoningRequest = { model: MODEL, input: "Think", reasoning: { effort: "high" as const }, previous_response_id: "resp_prev" };

    it("by default, the pinned conventions: no attribute only the latest experimental version has", async () => {
      await client(major, mock).responses.create(reasoningRequest);
      await client(major, mock).chat.completions.create({ model: MODEL, messages, reasoning_effort: "low" });
      for (const span of exporter.getFinishedSpans()) {
        expect(attr(span, ATTR_GEN_AI_REQUEST_REASONING_LEVEL)).toBeUndefined();
        expect(attr(span, ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID)).toBeUndefined();
      }
    });

    it("gen_ai_latest_experimental in the environment: the reasoning level and the previous response id", async () => {
      process.env.OTEL_SEMCONV_STABILITY_OPT_IN = "http/dup, GEN_AI_LATEST_EXPERIMENTAL ";
      instrumentAll();
      await client(major, mock).responses.create(reasoningRequest);
      expect(onlySpan(`chat ${MODEL}`).attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_REASONING_LEVEL]: "high",
        [ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID]: "resp_prev",
      });
      exporter.reset();
      await client(major, mock).chat.completions.create({ model: MODEL, messages, reasoning_effort: "low" });
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_GEN_AI_REQUEST_REASONING_LEVEL)).toBe("low");
    });

    it("a stream that ends before its last event: no finish reason by default, `error` in the latest version", async () => {
      const cutChat = async (): Promise<void> => {
        mock.enqueue({ kind: "stream_incomplete", afterChunks: 3 });
        const stream = await client(major, mock).chat.completions.create({ model: MODEL, messages, stream: true, n: 2 });
        for await (const chunk of stream) expect(chunk.object).toBe("chat.completion.chunk");
      };
      await cutChat();
      const pinned = onlySpan(`chat ${MODEL}`);
      expect(attr(pinned, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_incomplete");
      expect(attr(pinned, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toBeUndefined();

      exporter.reset();
      instrumentAll({ semconvStabilityOptIn: "gen_ai_latest_experimental" });
      await cutChat();
      const latest = onlySpan(`chat ${MODEL}`);
      expect(attr(latest, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_incomplete");
      // One position per choice the request asked for.
      expect(attr(latest, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["error", "error"]);
    });
  });
});

describe("the opt-in list", () => {
  it("is read like the OpenTelemetry instrumentations read it: comma-separated, trimmed, any case", () => {
    expect(genAiConventionsFrom(undefined)).toBe("pinned");
    expect(genAiConventionsFrom("")).toBe("pinned");
    expect(genAiConventionsFrom("http,database/dup")).toBe("pinned");
    expect(genAiConventionsFrom("gen_ai_latest_experimental")).toBe("latest");
    expect(genAiConventionsFrom(" http , Gen_AI_Latest_Experimental ")).toBe("latest");
    // Only the exact token: a prefix or a /dup form (which the GenAI conventions do not define) is not it.
    expect(genAiConventionsFrom("gen_ai_latest")).toBe("pinned");
    expect(genAiConventionsFrom("gen_ai_latest_experimental/dup")).toBe("pinned");
  });
});
