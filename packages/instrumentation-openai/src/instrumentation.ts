import type { Span } from "@opentelemetry/api";
import { GEN_AI_PROVIDER_NAME_VALUE_OPENAI, type LlmCall } from "@telltale/core";
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
import {
  ChatStreamAccumulator,
  ResponsesStreamAccumulator,
  summarizeChatCompletion,
  summarizeEmbeddings,
  summarizeResponse,
} from "./summary.js";
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
    return describeRequest(endpoint, body);
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

  protected override accumulateStream(call: LlmCall, endpoint: Endpoint, capture: ContentCapture): StreamAccumulation | undefined {
    if (endpoint === "chat") {
      const chat = new ChatStreamAccumulator(capture.enabled);
      return {
        add: (chunk) => chat.add(chunk),
        finish: (end) => {
          const summary = summarizeChatCompletion(chat.completion(), capture);
          // An interrupted stream is not an empty answer: only a finished one can be judged empty.
          if (end.kind !== "completed" && summary.softError?.kind === "empty_output") delete summary.softError;
          recordResponseSummary(call, summary, capture);
        },
      };
    }
    if (endpoint === "responses") {
      const responses = new ResponsesStreamAccumulator(capture.enabled);
      return {
        add: (chunk) => responses.add(chunk),
        finish: () => recordResponseSummary(call, summarizeResponse(responses.response(), capture), capture),
      };
    }
    return undefined;
  }
}
