/**
 * Defensive readers for the untyped request and response objects of the LLM SDKs. The instrumentations have no type
 * dependency on any SDK major, so requests, responses and stream events arrive as `unknown`.
 */

/** A plain object read field by field. */
export type Fields = Readonly<Record<string, unknown>>;

/** `value` when it is a non-array object, else undefined. */
export function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

// One frozen empty array for every absent list: the readers run on every response, mostly on absent fields.
const NO_ITEMS: readonly unknown[] = Object.freeze([]);

/** `value` when it is an array, else an empty one. */
export function itemsOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : NO_ITEMS;
}

/** `value` when it is a string. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `value` when it is a finite number. */
export function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `value` as text for content capture: a string as it is, anything else as JSON ("" when it cannot be). */
export function jsonTextOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/**
 * `server.address` / `server.port` of a client's base URL (the port defaults by scheme, as the HTTP conventions
 * ask). Empty when the URL cannot be parsed.
 */
export function serverOfBaseUrl(baseURL: unknown): { serverAddress?: string; serverPort?: number } {
  if (typeof baseURL !== "string") return {};
  try {
    const url = new URL(baseURL);
    const port = url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
    return { serverAddress: url.hostname, serverPort: port };
  } catch {
    return {};
  }
}
