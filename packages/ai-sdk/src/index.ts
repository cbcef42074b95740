export { telltaleMiddleware, type ModelCallParams, type ModelIdentity, type TelltaleLanguageModelMiddleware } from "./middleware.js";
export { agentRun, type AgentRunContext, type AgentRunOptions } from "./run.js";
export { instrumentTools, type ToolSetOptions, type ToolSpanOptions } from "./tools.js";
export { VERSION, SCOPE_NAME } from "./version.js";
export {
  isTelltaleTelemetry,
  telltaleTelemetry,
  type ExecuteLanguageModelCallOptions,
  type ExecuteToolOptions,
  type TelltaleTelemetry,
  type TelltaleTelemetryOptions,
} from "./telemetry.js";
export { installedAiVersion, registerGlobalTelemetry, type GlobalRegistration } from "./global.js";
