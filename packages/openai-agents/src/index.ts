export { TelltaleTracingProcessor, telltaleProcessor } from "./processor.js";
export { OpenAIAgentsInstrumentation } from "./instrumentation.js";
export { configureAgents, type AgentToolOptions, type TelltaleAgentsOptions } from "./options.js";
export type { AgentsSpan, AgentsTrace } from "./mapping.js";
export { VERSION } from "./version.js";
