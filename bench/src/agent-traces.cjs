"use strict";
// Agent-shaped traces for the sampler probes: a workflow root, three steps, each with an LLM call carrying the
// GenAI attributes (a retry-free attempt event on the first) and a tool call. Ten spans of four attribute shapes.

const { trace, context, SpanStatusCode } = require("@opentelemetry/api");

const ROOT_ATTRIBUTES = { "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support", "telltale.workflow.outcome": "ok" };

function llmAttributes(index) {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": `chatcmpl-${index.toString(36).padStart(12, "0")}`,
    "gen_ai.request.max_tokens": 256,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.usage.input_tokens": 120 + (index % 50),
    "gen_ai.usage.output_tokens": 40 + (index % 30),
    "gen_ai.response.finish_reasons": ["stop"],
    "server.address": "api.openai.com",
    "server.port": 443,
    "telltale.cost.usd": 0.000123,
    "telltale.step.name": "plan",
  };
}

/** One agent trace; its root is ended unless `endRoot` is false (then it is returned still running). */
function makeAgentTrace(tracer, index, endRoot = true) {
  const root = tracer.startSpan("invoke_workflow support", { attributes: ROOT_ATTRIBUTES });
  const rootContext = trace.setSpan(context.active(), root);
  for (let step = 0; step < 3; step++) {
    const stepSpan = tracer.startSpan("step plan", { attributes: { "telltale.step.name": "plan" } }, rootContext);
    const stepContext = trace.setSpan(rootContext, stepSpan);
    const llm = tracer.startSpan("chat gpt-4o-mini", { attributes: llmAttributes(index * 3 + step) }, stepContext);
    if (step === 0) llm.addEvent("telltale.attempt", { "telltale.attempt.number": 1, "http.response.status_code": 200 });
    llm.setStatus({ code: SpanStatusCode.UNSET });
    llm.end();
    const tool = tracer.startSpan("execute_tool lookup", {
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "gen_ai.tool.call.id": `call_${index}_${step}` },
    }, stepContext);
    tool.end();
    stepSpan.end();
  }
  if (endRoot) root.end();
  return root;
}

module.exports = { makeAgentTrace, ROOT_ATTRIBUTES };
