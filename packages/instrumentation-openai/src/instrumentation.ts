import type { Span } from "@opentelemetry/api";
import { type LlmCall } from "@telltale/core/instrumentation";
import { GEN_AI_PROVIDER_NAME_VALUE_OPENAI } from "@telltale/core/attributes";
import {
  StainlessInstrumentation,
  recordInputContent,
  recordResponseSummary,
  type ContentCapture,
  type Fields,
  type StainlessInstrumentationConfig,
  type StainlessRequest,
  type StainlessSdk,
  type StreamAccumulation,
} from "@telltale/instrumentation-common";
import {
  chatInputMessages,
  describeRequest,
  responsesInputMessages,
  responsesInstructions,
  type Endpoint,
} from "./request.js";
import { ChatStreamAccumulator, summarizeChatCompletion } from "./chat.js";
import { ResponsesStreamAccumulator, summarizeResponse } from "./responses.js";
import { partial, summarizeEmbeddings, unfinishedReasons } from "./summary.js";
import { VERSION } from "./version.js";

/** Configuration of {@link OpenAIInstrumentation}. */
export interface OpenAIInstrumentationConfig extends StainlessInstrumentationConfig {}

/** The `openai` majors this instrumentation supports. */
export const SUPPORTED_VERSIONS = [">=5.0.0 <8"];

const INSTRUMENTATION_NAME = "@telltale/instrumentation-openai";

/** The `openai` module's exports, as far as the instrumentation needs them. */
export interface OpenAIModuleExports {
  OpenAI?: unknown;
  default?: unknown;
}

const OPENAI_SDK: StainlessSdk<Endpoint> = {
  moduleName: "openai",
  supportedVersions: SUPPORTED_VERSIONS,
  clientExport: "OpenAI",
  label: "openai",
  provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  resources: [
    { key: "chat", classPath: ["Chat", "Completions"], clientPath: ["chat", "completions"] },
    { key: "responses", classPath: ["Responses"], clientPath: ["responses"] },
    { key: "embeddings", classPath: ["Embeddings"], clientPath: ["embeddings"] },
  ],
  parseRetryMethod: "parseResponseWithTimeout",
};

/**
 * OpenTelemetry instrumentation for the `openai` SDK, majors 5, 6 and 7: `chat.completions.create`,
 * `responses.create`, `embeddings.create` (plain and streaming, and the SDK helpers built on them) get a GenAI
 * span each, with every HTTP attempt of the SDK's retry loop, soft errors, usage feeding the budget, and streams
 * that always end their span. `manuallyInstrument(OpenAI)` and `instrumentClient(client)` are for bundled apps.
 */
export class OpenAIInstrumentation extends StainlessInstrumentation<OpenAIInstrumentationConfig, OpenAIModuleExports, Endpoint> {
  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, VERSION, config);
  }

  protected override get sdk(): StainlessSdk<Endpoint> {
    return OPENAI_SDK;
  }

  protected override describeRequest(endpoint: Endpoint, body: unknown): StainlessRequest {
    return describeRequest(endpoint, body, this.genAiConventions);
  }

  protected override recordInput(span: Span, endpoint: Endpoint, body: unknown, capture: ContentCapture): void {
    if (endpoint === "chat") recordInputContent(span, capture, chatInputMessages(body));
    else if (endpoint === "responses") recordInputContent(span, capture, responsesInputMessages(body), responsesInstructions(body));
  }

  protected override recordResponse(call: LlmCall, endpoint: Endpoint, response: Fields, capture: ContentCapture): void {
    const summary =
      endpoint === "chat"
        ? summarizeChatCompletion(response, capture)
        : endpoint === "responses"
          ? summarizeResponse(response, capture)
          : summarizeEmbeddings(response);
    recordResponseSummary(call, summary, capture);
  }

  protected override accumulateStream(call: LlmCall, endpoint: Endpoint, body: unknown, capture: ContentCapture): StreamAccumulation | undefined {
    if (endpoint === "chat") return this.accumulateChat(call, body, capture);
    if (endpoint === "responses") return this.accumulateResponses(call, capture);
    return undefined;
  }

  private accumulateChat(call: LlmCall, body: unknown, capture: ContentCapture): StreamAccumulation {
    const chat = new ChatStreamAccumulator(capture.enabled, body);
    const conventions = this.genAiConventions;
    return {
      add: (chunk) => chat.add(chunk),
      missingEnd: () => chat.missingEnd(),
      finish: (end) => {
        const summary = summarizeChatCompletion(chat.completion(), capture);
        // An interrupted or cut-short stream is partial, not empty; its unfinished choices have no finish reason.
        if (end.kind !== "completed" || chat.missingEnd() !== undefined) {
          partial(summary).finishReasons = unfinishedReasons(chat.finishReasons(), conventions);
        }
        recordResponseSummary(call, summary, capture);
      },
    };
  }

  private accumulateResponses(call: LlmCall, capture: ContentCapture): StreamAccumulation {
    const responses = new ResponsesStreamAccumulator(capture.enabled);
    const conventions = this.genAiConventions;
    return {
      add: (event) => responses.add(event),
      missingEnd: () => responses.missingEnd(),
      finish: () => {
        const summary = summarizeResponse(responses.response(), capture, responses.ending);
        if (responses.ending === undefined) partial(summary).finishReasons = unfinishedReasons([undefined], conventions);
        recordResponseSummary(call, summary, capture);
      },
    };
  }
}
