export {
  OpenAIInstrumentation,
  SUPPORTED_VERSIONS,
  type OpenAIInstrumentationConfig,
  type OpenAIModuleExports,
} from "./instrumentation.js";
export { VERSION } from "./version.js";
