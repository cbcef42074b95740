export { startMockLlm, type MockLlm } from "./server.js";
export { parseFaultScript, parseFaultStep, BUILT_IN_SCENARIOS, FAULT_KINDS, type BuiltInScenario } from "./script.js";
export { ERROR_PRESETS, presetForStatus } from "./errors.js";
export { DEFAULT_REFUSAL } from "./answer.js";
export { DEFAULT_EMBEDDING_DIMENSIONS } from "./openai.js";
export { tokensForChars } from "./generate.js";
export type {
  ContentFilterStep,
  EmptyStep,
  ErrorPayloadStep,
  ErrorPreset,
  ErrorStep,
  FaultKind,
  FaultScript,
  FaultStep,
  HangStep,
  LatencyStep,
  MalformedJsonStep,
  MockLlmOptions,
  OkStep,
  Provider,
  RecordedRequest,
  RefusalStep,
  RouteName,
  StepCommon,
  StreamCutStep,
  StreamIncompleteStep,
  StreamResetStep,
  ToolCallSpec,
  ToolCallsStep,
  TruncatedStep,
  UsageExtras,
} from "./types.js";
