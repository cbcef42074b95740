import { context, type Attributes, type Context } from "@opentelemetry/api";
import { ATTR_GEN_AI_REQUEST_MAX_TOKENS, ATTR_GEN_AI_REQUEST_TEMPERATURE } from "@telltale/core/attributes";
import { fieldsOf, numberOf, stringOf } from "@telltale/instrumentation-common";
import type { ModelCallStart } from "./call.js";
import { providerNameOf } from "./shapes.js";

/** The call span's start from a model (`provider`, `modelId`) and the call options the AI SDK passes it. */
export function callStartOf(
  model: { provider?: unknown; modelId?: unknown } | undefined,
  params: unknown,
  stream: boolean,
  parentContext: Context = context.active(),
): ModelCallStart {
  const options = fieldsOf(params);
  const attributes: Attributes = {};
  const maxTokens = numberOf(options?.maxOutputTokens);
  const temperature = numberOf(options?.temperature);
  if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  if (temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  const signal = options?.abortSignal;
  return {
    provider: providerNameOf(model?.provider),
    requestModel: stringOf(model?.modelId),
    stream,
    attributes,
    parentContext,
    abortSignal: signal instanceof AbortSignal ? signal : undefined,
  };
}
