/** Readers for the loosely typed values LangChain passes to callbacks; none of them throws. */
import { fieldsOf } from "@telltale/instrumentation-common";

export { fieldsOf, numberOf, type Fields } from "@telltale/instrumentation-common";

/** `value` when it is a non-empty string: an empty name is no name. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function stringsOf(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The class name a serialized LangChain object was made from (`["langchain_core", "runnables", "RunnableRetry"]`). */
export function serializedClass(serialized: unknown): string | undefined {
  const id = fieldsOf(serialized)?.id;
  return Array.isArray(id) ? stringOf(id[id.length - 1]) : undefined;
}

/** JSON input as a value, anything else as it is. */
export function parsedInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
