export { TelltaleTracingProcessor, telltaleProcessor } from "./processor.js";
export { OpenAIAgentsInstrumentation, type OpenAIAgentsInstrumentationConfig } from "./instrumentation.js";
export type { AgentToolOptions, TelltaleAgentsOptions } from "./options.js";
export type { AgentsSpan, AgentsTrace } from "./mapping.js";
export { VERSION } from "./version.js";
