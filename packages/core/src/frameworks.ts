/**
 * What framework integrations (LangChain/LangGraph callbacks, the OpenAI Agents SDK tracing processor) build on:
 * start/end forms of workflow, step and tool spans, the framework's model call that SDK calls join, and the
 * resolver that tells core where an SDK call belongs.
 */
export {
  startRetrySpan,
  startStepSpan,
  startToolSpan,
  startWorkflowSpan,
  type ManualSpan,
  type RetrySpan,
  type StepSpan,
  type ToolSpan,
  type WorkflowSpan,
} from "./manual-spans.js";
export { startModelCall, type ModelCall, type ModelCallOptions } from "./model-calls.js";
export { registerLlmCallSiteResolver, type JoinableModelCall, type LlmCallSite, type LlmCallSiteResolver } from "./call-sites.js";
