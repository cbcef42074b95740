export { telltaleMiddleware, type ModelCallParams, type ModelIdentity, type TelltaleLanguageModelMiddleware } from "./middleware.js";
export { agentRun, type AgentRunContext, type AgentRunOptions } from "./run.js";
export { instrumentTools, type ToolSetOptions, type ToolSpanOptions } from "./tools.js";
export { ANSWER_STEP } from "./outcome.js";
export { VERSION, SCOPE_NAME } from "./version.js";
export {
  telltaleTelemetry,
  type ExecuteLanguageModelCallOptions,
  type ExecuteToolOptions,
  type TelltaleTelemetry,
  type TelltaleTelemetryOptions,
} from "./telemetry.js";
