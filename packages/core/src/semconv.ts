/**
 * The unstable (incubating) OpenTelemetry semantic-convention names Telltale writes, copied from
 * `@opentelemetry/semantic-conventions/incubating` 1.45 as that package's README asks of instrumentation libraries:
 * its incubating entry point may break in a minor release, and loading it costs every process ~3 MB of heap for the
 * thousands of names Telltale does not use. `test/semconv.test.ts` holds each copy to the package's value, so a
 * rename upstream fails the tests rather than drifting. Import these from `attributes.ts`, like every other name.
 */
export const ATTR_GEN_AI_AGENT_NAME = "gen_ai.agent.name" as const;
export const ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id" as const;
export const ATTR_GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages" as const;
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name" as const;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages" as const;
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name" as const;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens" as const;
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model" as const;
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream" as const;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature" as const;
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons" as const;
export const ATTR_GEN_AI_RESPONSE_ID = "gen_ai.response.id" as const;
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model" as const;
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk" as const;
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions" as const;
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type" as const;
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments" as const;
export const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id" as const;
export const ATTR_GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result" as const;
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name" as const;
export const ATTR_GEN_AI_TOOL_TYPE = "gen_ai.tool.type" as const;
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens" as const;
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens" as const;
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens" as const;
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens" as const;
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens" as const;
export const ATTR_GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name" as const;
export const ATTR_MESSAGING_DESTINATION_NAME = "messaging.destination.name" as const;
export const ATTR_MESSAGING_MESSAGE_ID = "messaging.message.id" as const;
export const ATTR_MESSAGING_OPERATION_TYPE = "messaging.operation.type" as const;
export const ATTR_MESSAGING_SYSTEM = "messaging.system" as const;
export const GEN_AI_OPERATION_NAME_VALUE_CHAT = "chat" as const;
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = "embeddings" as const;
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = "execute_tool" as const;
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT = "invoke_agent" as const;
export const GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION = "text_completion" as const;
export const GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = "anthropic" as const;
export const GEN_AI_PROVIDER_NAME_VALUE_OPENAI = "openai" as const;
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration" as const;
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage" as const;
