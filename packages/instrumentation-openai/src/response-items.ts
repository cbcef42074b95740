/**
 * The Responses API's output items, by `type`, as the `openai` SDK's type definitions (majors 5, 6 and 7) list
 * them: which are tool calls the model made (and under what name and id), which are tool results, and which are
 * neither (reasoning, compaction, tool lists the model was given). One table, read by the response summary and the
 * stream accumulator alike.
 */
import { jsonTextOf, stringOf, type Fields, type GenAiMessagePart } from "@telltale/instrumentation-common";

/** A tool call item: the model asked for a tool to run. */
interface ToolCallItem {
  /** The tool's name: the function's own for function-like calls, else the built-in tool's (`web_search` …). */
  name(item: Fields): string | undefined;
  /** The id the call is answered with (`call_id`), else the item's own. */
  id(item: Fields): string | undefined;
  /** What the call was given; recorded only with content capture on. */
  arguments(item: Fields): unknown;
  /** Run by OpenAI itself (web search, code interpreter, a remote MCP server …) rather than handed to the app. */
  server(item: Fields): boolean;
}

const ownName = (item: Fields): string | undefined => stringOf(item.name);
const builtIn =
  (name: string) =>
  (): string =>
    name;
const callId = (item: Fields): string | undefined => stringOf(item.call_id) ?? stringOf(item.id);
const itemId = (item: Fields): string | undefined => stringOf(item.id);
const none = (): undefined => undefined;
const always = (): boolean => true;
const never = (): boolean => false;

/** Handed to the app: the app runs it and sends its output back. */
const clientCall = (name: ToolCallItem["name"], args: (item: Fields) => unknown): ToolCallItem => ({
  name,
  id: callId,
  arguments: args,
  server: never,
});

/** Run by OpenAI during the response. */
const serverCall = (name: ToolCallItem["name"], args: (item: Fields) => unknown): ToolCallItem => ({
  name,
  id: itemId,
  arguments: args,
  server: always,
});

const TOOL_CALL_ITEMS: Readonly<Record<string, ToolCallItem>> = {
  function_call: clientCall(ownName, (item) => item.arguments),
  custom_tool_call: clientCall(ownName, (item) => item.input),
  computer_call: clientCall(builtIn("computer"), (item) => item.action ?? item.actions),
  local_shell_call: clientCall(builtIn("local_shell"), (item) => item.action),
  shell_call: clientCall(builtIn("shell"), (item) => item.action),
  apply_patch_call: clientCall(builtIn("apply_patch"), (item) => item.operation),
  // An approval the app has to give before OpenAI calls the MCP tool: the turn waits on the app.
  mcp_approval_request: { ...clientCall(ownName, (item) => item.arguments), id: itemId },
  // Tool search runs on either side; the item says which.
  tool_search_call: { ...clientCall(builtIn("tool_search"), (item) => item.arguments), server: (item) => item.execution === "server" },
  mcp_call: serverCall(ownName, (item) => item.arguments),
  mcp_list_tools: serverCall(builtIn("mcp_list_tools"), none),
  web_search_call: serverCall(builtIn("web_search"), (item) => item.action),
  file_search_call: serverCall(builtIn("file_search"), (item) => item.queries),
  code_interpreter_call: serverCall(builtIn("code_interpreter"), (item) => item.code),
  image_generation_call: serverCall(builtIn("image_generation"), none),
  // Programmatic tool calling: code the model wrote, which OpenAI runs.
  program: { ...serverCall(builtIn("program"), (item) => item.code), id: callId },
};

/** Items that carry a tool's result: output the caller received, not an empty answer. */
const TOOL_RESULT_ITEMS: ReadonlySet<string> = new Set([
  "function_call_output",
  "custom_tool_call_output",
  "computer_call_output",
  "local_shell_call_output",
  "shell_call_output",
  "apply_patch_call_output",
  "tool_search_output",
  "program_output",
  "mcp_approval_response",
]);

/** A tool call found in a response's output. */
export interface OutputToolCall {
  id?: string;
  name: string;
  server: boolean;
}

/** The tool call `item` is, or undefined when it is not one (or names no tool). */
export function toolCallOf(item: Fields): OutputToolCall | undefined {
  const kind = typeof item.type === "string" ? TOOL_CALL_ITEMS[item.type] : undefined;
  const name = kind?.name(item);
  if (kind === undefined || name === undefined) return undefined;
  const id = kind.id(item);
  return { ...(id !== undefined ? { id } : {}), name, server: kind.server(item) };
}

/** Whether `item` holds a tool's result. */
export function isToolResult(item: Fields): boolean {
  return typeof item.type === "string" && TOOL_RESULT_ITEMS.has(item.type);
}

/** A tool call item as message parts, for content capture: a call, and for an MCP call also its result. */
export function toolCallParts(item: Fields, call: OutputToolCall): GenAiMessagePart[] {
  const type = stringOf(item.type) ?? "";
  const rawArguments = TOOL_CALL_ITEMS[type]?.arguments(item);
  const args = rawArguments === undefined || rawArguments === null ? undefined : jsonTextOf(rawArguments);
  const id = call.id !== undefined ? { id: call.id } : {};
  if (!call.server) return [{ type: "tool_call", ...id, name: call.name, ...(args !== undefined ? { arguments: args } : {}) }];
  const parts: GenAiMessagePart[] = [
    { type: "server_tool_call", ...id, name: call.name, server_tool_call: { type, ...(args !== undefined ? { arguments: args } : {}) } },
  ];
  const result = item.error ?? item.output;
  if (type === "mcp_call" && result !== undefined && result !== null) {
    parts.push({ type: "server_tool_call_response", ...id, server_tool_call_response: { type, response: jsonTextOf(result) } });
  }
  return parts;
}

/** A tool result item as a message part, for content capture. */
export function toolResultPart(item: Fields): GenAiMessagePart {
  // The call a result answers: `call_id`, or for an MCP approval the request it approves.
  const id = stringOf(item.call_id) ?? stringOf(item.approval_request_id) ?? stringOf(item.id);
  const result = item.output ?? item.result ?? item.tools ?? item.approve;
  return { type: "tool_call_response", ...(id !== undefined ? { id } : {}), response: jsonTextOf(result) };
}
