import type { Span } from "@opentelemetry/api";
import { type LlmCall } from "@telltale/core/instrumentation";
import { GEN_AI_OPERATION_NAME_VALUE_CHAT, GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC } from "@telltale/core/attributes";
import {
  StainlessInstrumentation,
  fieldsOf,
  recordInputContent,
  stringOf,
  type ContentCapture,
  type Fields,
  type StainlessInstrumentationConfig,
  type StainlessRequest,
  type StainlessSdk,
  type StreamAccumulation,
} from "@telltale/instrumentation-common";
import { describeRequest, inputMessages, systemInstructions } from "./request.js";
import { MessageStreamAccumulator, applySummary, summarizeMessage } from "./summary.js";
import { VERSION } from "./version.js";

/** Configuration of {@link AnthropicInstrumentation}. */
export interface AnthropicInstrumentationConfig extends StainlessInstrumentationConfig {}

/** The `@anthropic-ai/sdk` versions this instrumentation supports (tested: 0.137 and 1.x). */
export const SUPPORTED_VERSIONS = [">=0.50.0 <2"];

const INSTRUMENTATION_NAME = "@telltale/instrumentation-anthropic";

/** The `@anthropic-ai/sdk` module's exports, as far as the instrumentation needs them. */
export interface AnthropicModuleExports {
  Anthropic?: unknown;
  default?: unknown;
}

/** Both traced resources are Messages APIs and read the same way: no key tells them apart. */
type Resource = "messages";

const ANTHROPIC_SDK: StainlessSdk<Resource> = {
  moduleName: "@anthropic-ai/sdk",
  supportedVersions: SUPPORTED_VERSIONS,
  clientExport: "Anthropic",
  label: "Anthropic",
  provider: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  resources: [
    { key: "messages", classPath: ["Messages"], clientPath: ["messages"] },
    { key: "messages", classPath: ["Beta", "Messages"], clientPath: ["beta", "messages"] },
  ],
};

/** The `type` of an error event inside a stream (`overloaded_error` …), from the SDK's APIError. */
function streamErrorType(error: unknown): string | undefined {
  const fields = fieldsOf(error);
  // The APIError's `error` is the event's body: `{ type: "error", error: { type: "overloaded_error", … } }`.
  const body = fieldsOf(fields?.error);
  return stringOf(fieldsOf(body?.error)?.type) ?? stringOf(fields?.type) ?? stringOf(body?.type);
}

/**
 * OpenTelemetry instrumentation for `@anthropic-ai/sdk`: `messages.create` and `beta.messages.create` (plain and
 * streaming, and the SDK helpers built on them: `messages.stream()`, `parse()`, the tool runner) get one GenAI span
 * per call, with every HTTP attempt of the SDK's retry loop, soft errors, usage feeding the budget, and streams that
 * always end their span. `manuallyInstrument(Anthropic)` and `instrumentClient(client)` are for bundled apps.
 */
export class AnthropicInstrumentation extends StainlessInstrumentation<AnthropicInstrumentationConfig, AnthropicModuleExports, Resource> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(INSTRUMENTATION_NAME, VERSION, config);
  }

  protected override get sdk(): StainlessSdk<Resource> {
    return ANTHROPIC_SDK;
  }

  protected override describeRequest(_resource: Resource, body: unknown): StainlessRequest {
    return { operation: GEN_AI_OPERATION_NAME_VALUE_CHAT, ...describeRequest(body, this.genAiConventions) };
  }

  protected override recordInput(span: Span, _resource: Resource, body: unknown, capture: ContentCapture): void {
    recordInputContent(span, capture, inputMessages(body), systemInstructions(body));
  }

  protected override recordResponse(call: LlmCall, _resource: Resource, message: Fields, capture: ContentCapture): void {
    applySummary(call, summarizeMessage(message, capture), capture, this.genAiConventions);
  }

  protected override accumulateStream(call: LlmCall, _resource: Resource, _body: unknown, capture: ContentCapture): StreamAccumulation {
    const accumulator = new MessageStreamAccumulator(capture.enabled);
    const conventions = this.genAiConventions;
    return {
      add: (event) => accumulator.add(event),
      missingEnd: () => accumulator.missingEnd(),
      finish: (end) => {
        if (end.kind === "error") {
          // An `event: error` inside a 200 stream (the API overloaded mid-answer): the SDK throws an APIError without
          // a status. It is both the call's error and an error payload the server sent.
          const type = streamErrorType(end.error);
          if (type !== undefined && fieldsOf(end.error)?.status === undefined) call.softError("error_payload", type);
        }
        const summary = summarizeMessage(accumulator.message(), capture);
        // An interrupted or cut-short stream is partial, not empty: only a finished one can be judged empty.
        if (end.kind !== "completed" || accumulator.missingEnd() !== undefined) {
          summary.unfinished = true;
          if (summary.softError?.kind === "empty_output") delete summary.softError;
        }
        applySummary(call, summary, capture, conventions);
      },
    };
  }
}
