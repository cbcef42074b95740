export { TelltaleCallbackHandler, telltale } from "./handler.js";
export { LangChainInstrumentation } from "./instrumentation.js";
export { configureLangChain, type LangChainToolOptions, type TelltaleLangChainOptions } from "./options.js";
export { runContext } from "./resolver.js";
export { VERSION } from "./version.js";
