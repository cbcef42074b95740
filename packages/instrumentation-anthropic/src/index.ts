export {
  AnthropicInstrumentation,
  SUPPORTED_VERSIONS,
  type AnthropicInstrumentationConfig,
  type AnthropicModuleExports,
} from "./instrumentation.js";
export { VERSION } from "./version.js";
