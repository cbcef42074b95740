/** Readers for the loosely typed span data the Agents SDK hands to processors; none of them throws. */

export { fieldsOf, numberOf, type Fields } from "@telltale/instrumentation-common";

/** `value` when it is a non-empty string: an empty name is no name. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** JSON text as a value, anything else as it is. */
export function parsedJson(text: unknown): unknown {
  if (typeof text !== "string" || text === "") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
