export {
  endAttemptOnStatus,
  trackAttempts,
  trackRetries,
  trackStainlessAttempts,
  type AttemptTracking,
  type AttemptRecord,
  type AttemptRecorder,
} from "./attempts.js";
export { observeApiPromise, observesResponses, type ApiPromiseObserver } from "./api-promise.js";
export {
  isStainlessStream,
  observeStream,
  type ChunkOf,
  type StainlessStream,
  type StreamEnd,
  type StreamObserver,
} from "./stream.js";
export {
  CAPTURE_MESSAGE_CONTENT_ENV,
  DEFAULT_CONTENT_MAX_LENGTH,
  REDACTION_FAILED,
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
  type StainlessResource,
  type StainlessSdk,
  type StreamAccumulation,
} from "./stainless-instrumentation.js";
