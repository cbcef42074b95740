/**
 * The unstable (incubating) OpenTelemetry semantic-convention names Telltale writes, copied from
 * `@opentelemetry/semantic-conventions/incubating` 1.45 as that package's README asks of instrumentation libraries:
 * its incubating entry point may break in a minor release, and loading it costs every process ~3 MB of heap for the
 * thousands of names Telltale does not use. `test/semconv.test.ts` holds each copy to the package's value where the
 * package has it, so a rename upstream fails the tests rather than drifting. Import these from `attributes.ts`, like
 * every other name.
 *
 * Convention version: by default Telltale writes the GenAI conventions as released in OpenTelemetry semantic
 * conventions v1.41.1, the last release that carries them (they have since moved to the GenAI semantic conventions
 * repository, whose development schema is `gen-ai-dev/1.42.0-dev`). `OTEL_SEMCONV_STABILITY_OPT_IN` containing
 * `gen_ai_latest_experimental` switches the instrumentations to that development version where the two differ; the
 * names only that version has are marked below.
 */
export const ATTR_GEN_AI_AGENT_NAME = "gen_ai.agent.name" as const;
export const ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id" as const;
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count" as const;
export const ATTR_GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages" as const;
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name" as const;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages" as const;
export const ATTR_GEN_AI_OUTPUT_TYPE = "gen_ai.output.type" as const;
export const ATTR_GEN_AI_PROMPT_NAME = "gen_ai.prompt.name" as const;
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name" as const;
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count" as const;
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats" as const;
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty" as const;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens" as const;
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model" as const;
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty" as const;
export const ATTR_GEN_AI_REQUEST_SEED = "gen_ai.request.seed" as const;
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences" as const;
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream" as const;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature" as const;
export const ATTR_GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k" as const;
export const ATTR_GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p" as const;
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
export const ATTR_JSONRPC_PROTOCOL_VERSION = "jsonrpc.protocol.version" as const;
export const ATTR_JSONRPC_REQUEST_ID = "jsonrpc.request.id" as const;
export const ATTR_MESSAGING_DESTINATION_NAME = "messaging.destination.name" as const;
export const ATTR_MESSAGING_MESSAGE_ID = "messaging.message.id" as const;
export const ATTR_MESSAGING_OPERATION_TYPE = "messaging.operation.type" as const;
export const ATTR_MESSAGING_SYSTEM = "messaging.system" as const;
export const ATTR_OPENAI_API_TYPE = "openai.api.type" as const;
export const ATTR_OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier" as const;
export const ATTR_OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier" as const;
export const ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint" as const;
// The MCP names follow the MCP semantic conventions (`docs/gen-ai/mcp.md`, status Development), as published in
// `@opentelemetry/semantic-conventions` 1.45 (which marks them moved to the GenAI conventions repository, unchanged).
export const ATTR_MCP_METHOD_NAME = "mcp.method.name" as const;
export const ATTR_MCP_PROTOCOL_VERSION = "mcp.protocol.version" as const;
export const ATTR_MCP_RESOURCE_URI = "mcp.resource.uri" as const;
export const ATTR_MCP_SESSION_ID = "mcp.session.id" as const;
export const ATTR_RPC_RESPONSE_STATUS_CODE = "rpc.response.status_code" as const;
export const GEN_AI_OPERATION_NAME_VALUE_CHAT = "chat" as const;
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = "embeddings" as const;
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = "execute_tool" as const;
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT = "invoke_agent" as const;
export const GEN_AI_OUTPUT_TYPE_VALUE_JSON = "json" as const;
export const GEN_AI_OUTPUT_TYPE_VALUE_SPEECH = "speech" as const;
export const GEN_AI_OUTPUT_TYPE_VALUE_TEXT = "text" as const;
export const GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION = "text_completion" as const;
export const GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = "anthropic" as const;
export const GEN_AI_PROVIDER_NAME_VALUE_OPENAI = "openai" as const;
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration" as const;
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage" as const;
export const OPENAI_API_TYPE_VALUE_CHAT_COMPLETIONS = "chat_completions" as const;
export const OPENAI_API_TYPE_VALUE_RESPONSES = "responses" as const;
export const OPENAI_REQUEST_SERVICE_TIER_VALUE_AUTO = "auto" as const;

// Only in the GenAI conventions' development version (`gen_ai_latest_experimental`); the package has no copy yet.
export const ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID = "gen_ai.request.previous_response.id" as const;
export const ATTR_GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level" as const;

// The finish reasons of the GenAI output-messages schema: what an instrumentation writes where the provider sends
// none and it has to say why the generation ended (the Responses API, a stream that ended before its last event).
export const GEN_AI_FINISH_REASON_VALUE_CONTENT_FILTER = "content_filter" as const;
export const GEN_AI_FINISH_REASON_VALUE_ERROR = "error" as const;
export const GEN_AI_FINISH_REASON_VALUE_LENGTH = "length" as const;
export const GEN_AI_FINISH_REASON_VALUE_STOP = "stop" as const;
export const GEN_AI_FINISH_REASON_VALUE_TOOL_CALL = "tool_call" as const;
export const MCP_METHOD_NAME_VALUE_INITIALIZE = "initialize" as const;
export const MCP_METHOD_NAME_VALUE_PROMPTS_GET = "prompts/get" as const;
export const MCP_METHOD_NAME_VALUE_TOOLS_CALL = "tools/call" as const;
export const METRIC_MCP_CLIENT_OPERATION_DURATION = "mcp.client.operation.duration" as const;
export const METRIC_MCP_CLIENT_SESSION_DURATION = "mcp.client.session.duration" as const;
export const METRIC_MCP_SERVER_OPERATION_DURATION = "mcp.server.operation.duration" as const;
export const METRIC_MCP_SERVER_SESSION_DURATION = "mcp.server.session.duration" as const;
