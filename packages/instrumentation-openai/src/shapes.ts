/**
 * Safe readers for the untyped request and response objects of the `openai` SDK. The instrumentation has no type
 * dependency on any SDK major, so everything arrives as `unknown` and is read defensively.
 */

export type Bag = Readonly<Record<string, unknown>>;

export function asBag(value: unknown): Bag | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Bag) : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `value` as a string for content capture: strings as they are, anything else as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}
