/**
 * Typed readers for environment variables. Each one returns undefined when the variable is unset or blank (the
 * OpenTelemetry spec treats an empty value as unset) and throws {@link TelltaleConfigError} naming the variable and
 * what it accepts for anything else it cannot read exactly: a bad value never turns silently into a default.
 */

export type Env = Record<string, string | undefined>;

/** Thrown by `readConfig`/`start` for a bad environment variable or option; `variable` names it. */
export class TelltaleConfigError extends Error {
  override readonly name = "TelltaleConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** The longest delay a Node.js timer takes (2^31 - 1 ms, about 24.8 days); a larger one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function quoted(value: string): string {
  return JSON.stringify(value);
}

export function readBoolean(env: Env, name: string): boolean | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw new TelltaleConfigError(name, `${name} must be true or false; got ${quoted(value)}`);
}

export function readOneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate === value.toLowerCase());
  if (match === undefined) {
    throw new TelltaleConfigError(name, `${name} must be one of ${allowed.join(", ")}; got ${quoted(value)}`);
  }
  return match;
}

/** An integer in `[min, max]`, written as plain digits. `unit` words the message (`milliseconds`, `characters`). */
export function readInteger(env: Env, name: string, range: { min: number; max: number; unit?: string }): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < range.min || parsed > range.max) {
    const unit = range.unit === undefined ? "" : ` (${range.unit})`;
    throw new TelltaleConfigError(
      name,
      `${name} must be a whole number from ${range.min} to ${range.max}${unit}; got ${quoted(value)}`,
    );
  }
  return parsed;
}

/** A decimal number greater than 0 and at most `max` (no exponent, no sign, no unit). */
export function readPositiveDecimal(env: Env, name: string, max: number): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value) || !(parsed > 0) || parsed > max) {
    throw new TelltaleConfigError(name, `${name} must be a number greater than 0 and at most ${max}; got ${quoted(value)}`);
  }
  return parsed;
}

/** A decimal number in [0, 1] (a sampling ratio). */
export function readRatio(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value) || parsed > 1) {
    throw new TelltaleConfigError(name, `${name} must be a number from 0 to 1; got ${quoted(value)}`);
  }
  return parsed;
}

export function readUrl(env: Env, name: string): URL | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TelltaleConfigError(name, `${name} must be an http:// or https:// URL; got ${quoted(value)}`);
  }
  return url;
}

/** `key1=value1,key2=value2` with percent-encoded values (W3C Baggage-style), as OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES are specified. */
export function readKeyValueList(env: Env, name: string): Record<string, string> {
  const value = read(env, name);
  const result: Record<string, string> = {};
  if (value === undefined) return result;
  for (const entry of value.split(",")) {
    if (entry.trim() === "") continue;
    const separator = entry.indexOf("=");
    const key = separator > 0 ? entry.slice(0, separator).trim() : "";
    if (key === "") {
      throw new TelltaleConfigError(name, `${name} must be a comma-separated list of key=value pairs; got ${quoted(value)}`);
    }
    try {
      result[key] = decodeURIComponent(entry.slice(separator + 1).trim());
    } catch {
      throw new TelltaleConfigError(name, `${name} values must be percent-encoded; got ${quoted(entry)}`);
    }
  }
  return result;
}

/** A comma-separated list whose every item is one of `allowed`; undefined when unset. Items are compared exactly
 * unless `ignoreCase` (for variables whose reader lower-cases them too). */
export function readList<T extends string>(env: Env, name: string, allowed: readonly T[], ignoreCase = false): T[] | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((part) => (ignoreCase ? part.trim().toLowerCase() : part.trim()))
    .filter((part) => part !== "");
  if (items.length === 0 || items.some((item) => !(allowed as readonly string[]).includes(item))) {
    throw new TelltaleConfigError(name, `${name} must be a comma-separated list of ${allowed.join(", ")}; got ${quoted(value)}`);
  }
  return items as T[];
}
