/** Readers for the loosely typed values LangChain passes to callbacks; none of them throws. */

export type Fields = Readonly<Record<string, unknown>>;

export function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === "object" && value !== null ? (value as Fields) : undefined;
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
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
