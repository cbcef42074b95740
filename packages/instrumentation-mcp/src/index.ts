export {
  McpInstrumentation,
  SUPPORTED_VERSIONS_V1,
  SUPPORTED_VERSIONS_V2,
  type McpModuleExports,
} from "./instrumentation.js";
export { type McpInstrumentationConfig, type ToolArguments } from "./config.js";
export { VERSION } from "./version.js";
