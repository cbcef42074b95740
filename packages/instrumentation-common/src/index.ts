// What a provider instrumentation builds on: the Stainless SDK base class (openai, @anthropic-ai/sdk), content
// capture, the GenAI convention switch and the readers that take fields from SDK objects without trusting them.
export {
  CAPTURE_MESSAGE_CONTENT_ENV,
  resolveContentCapture,
  type ContentCapture,
  type ContentCaptureConfig,
  type GenAiMessage,
  type GenAiMessagePart,
} from "./content.js";
export { findMethodOwner } from "./prototype.js";
export {
  GEN_AI_LATEST_EXPERIMENTAL,
  SEMCONV_STABILITY_OPT_IN_ENV,
  genAiConventionsFrom,
  type GenAiConventions,
} from "./semconv-stability.js";
export { fieldsOf, itemsOf, jsonTextOf, numberOf, serverOfBaseUrl, stringOf, type Fields } from "./readers.js";
export {
  StainlessInstrumentation,
  recordInputContent,
  recordResponseSummary,
  type ResponseSummary,
  type StainlessInstrumentationConfig,
  type StainlessRequest,
  type StainlessSdk,
  type StreamAccumulation,
} from "./stainless-instrumentation.js";
