/**
 * The one place the options of core's API are checked. Each function declares a schema (option name -> rule) and
 * reads its options through {@link readOptions}: an option that breaks its rule is reported once through `diag`
 * (naming the function, the option and the value) and treated as absent, so the user's work still runs with the
 * defaults. Nothing here throws.
 */
import { diag } from "@opentelemetry/api";

/** What one option accepts: `accepts` says it in words for the report, `test` checks a value. */
export interface Rule {
  readonly accepts: string;
  readonly test: (value: unknown) => boolean;
  /** For an option that is itself an object of options (e.g. `budget`): the schema of its fields. */
  readonly fields?: Schema;
}

/** Counts the options of `input` that follow their rule, or -1 as soon as one does not. */
type Check = (input: Record<string, unknown>, rules: readonly Rule[]) => number;

/** The options one function takes: option name -> rule. Build it with {@link defineSchema}. */
export interface Schema {
  readonly rules: Readonly<Record<string, Rule>>;
  /** The rules in the order {@link Schema.check} reads them. */
  readonly ordered: readonly Rule[];
  /** The fast path of {@link readOptions} (undefined where code generation is disallowed). */
  readonly check: Check | undefined;
}

/**
 * A schema, with its fast path compiled once: a function that reads each option by its literal name. Looking the
 * options up by a variable name instead (`input[key]` in a loop) costs V8 tens of nanoseconds per option on a
 * megamorphic path, which on an LLM call (three schemas, about fifteen options) measured as much as the rest of the
 * call's own work. The names come from core's own schemas, never from user input.
 */
export function defineSchema(fields: Readonly<Record<string, Rule>>): Schema {
  const names = Object.keys(fields);
  const ordered = names.map((name) => fields[name]!);
  let check: Check | undefined;
  try {
    const reads = names.map((name, index) =>
      ordered[index]!.fields === undefined
        ? `v = input[${JSON.stringify(name)}]; if (v !== undefined) { if (!rules[${index}].test(v)) return -1; n++; }`
        : // An object of options has its own fields to check: the slow path reads it.
          `if (input[${JSON.stringify(name)}] !== undefined) return -1;`,
    );
    check = new Function("input", "rules", `"use strict"; let v; let n = 0;\n${reads.join("\n")}\nreturn n;`) as Check;
  } catch {
    check = undefined;
  }
  return { rules: fields, ordered, check };
}

function rule(accepts: string, test: (value: unknown) => boolean): Rule {
  return { accepts, test };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const rules = {
  any: rule("anything", () => true),
  string: rule("a string", (value) => typeof value === "string"),
  name: rule("a non-empty string", (value) => typeof value === "string" && value.length > 0),
  boolean: rule("true or false", (value) => typeof value === "boolean"),
  function: rule("a function", (value) => typeof value === "function"),
  /** Milliseconds: a wait, a timeout, a deadline. Any length a timestamp can hold is fine (timers.ts re-arms the
   * ones past Node's timer limit). */
  milliseconds: rule(
    "a number of milliseconds from 0 to 2^53 - 1",
    (value) => typeof value === "number" && value >= 0 && value <= Number.MAX_SAFE_INTEGER,
  ),
  /** A token count or an amount: finite and not negative. */
  amount: rule("a finite number >= 0", (value) => typeof value === "number" && Number.isFinite(value) && value >= 0),
  /** A limit: finite and above zero. */
  limit: rule("a finite number > 0", (value) => typeof value === "number" && Number.isFinite(value) && value > 0),
  count: rule("an integer >= 1", (value) => typeof value === "number" && Number.isInteger(value) && value >= 1),
  port: rule("an integer from 1 to 65535", (value) => typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65_535),
  statusCode: rule("an integer HTTP status from 100 to 599", (value) => typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599),
  spanKind: rule("a SpanKind (0 to 4)", (value) => typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 4),
  strings: rule("an array of strings", (value) => Array.isArray(value) && value.every((item) => typeof item === "string")),
  names: rule("an array of non-empty strings", (value) => Array.isArray(value) && value.every((item) => typeof item === "string" && item.length > 0)),
  /** Span attributes: a plain object (the SDK checks each value). */
  attributes: rule("an object of attribute values", isObject),
  abortSignal: rule("an AbortSignal", (value) => isObject(value) && typeof value.aborted === "boolean" && typeof value.addEventListener === "function"),
  context: rule("an OpenTelemetry Context", (value) => isObject(value) && typeof value.getValue === "function"),
  oneOf(values: readonly string[]): Rule {
    return rule(`one of ${values.join(", ")}`, (value) => typeof value === "string" && values.includes(value));
  },
  object(fields: Schema): Rule {
    return { accepts: "an object", test: isObject, fields };
  },
} as const;

// Every report goes out once per function and option: a loop with one bad option must not flood the log. The set is
// bounded by the schemas' option names, plus at most this many unknown names.
const MAX_REPORTED = 512;
const reported = new Set<string>();

/** A short, safe rendering of a bad value for a report. */
function renderValue(value: unknown): string {
  try {
    switch (typeof value) {
      case "string":
        return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
      case "function":
        return "a function";
      case "symbol":
        return value.toString();
      case "bigint":
        return `${value}n`;
      case "number":
      case "boolean":
      case "undefined":
        return String(value);
    }
    if (value === null) return "null";
    const json = JSON.stringify(value);
    if (json === undefined) return Object.prototype.toString.call(value);
    return json.length > 80 ? `${json.slice(0, 80)}…` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Reports, once per `where` and `what`, that `value` was ignored because it is not what `accepts` says. */
export function reportIgnored(where: string, what: string, value: unknown, accepts: string): void {
  const key = `${where}\u0000${what}`;
  if (reported.has(key)) return;
  if (reported.size < MAX_REPORTED) reported.add(key);
  diag.warn(`@telltale/core: ${where}: ${what} must be ${accepts}; got ${renderValue(value)}. It is ignored.`);
}

/** Whether `value` follows `rule`; reports it once (as `what` of `where`) when it does not. For single arguments. */
export function isValid(where: string, what: string, value: unknown, rule: Rule): boolean {
  if (rule.test(value)) return true;
  reportIgnored(where, what, value, rule.accepts);
  return false;
}

const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/** How many enumerable keys `input` has (own, for the plain objects options are). */
function keyCount(input: object): number {
  let count = 0;
  for (const _ in input) count += 1;
  return count;
}

/**
 * The options `input` holds that follow `schema`, for the function named `where`. Returns `input` itself when
 * every option is valid (nothing allocated), else a copy without the invalid ones; an input that is not an object
 * (null, a string …) counts as no options. Every invalid or unknown option is reported once. Never throws.
 */
export function readOptions<T extends object>(where: string, input: unknown, schema: Schema, prefix = ""): Partial<T> {
  if (input === undefined) return NO_OPTIONS as Partial<T>;
  if (!isObject(input)) {
    reportIgnored(where, "options", input, "an object");
    return NO_OPTIONS as Partial<T>;
  }
  try {
    // Every option valid and none unknown (each key holds a checked option): the common case, no allocation.
    const valid = schema.check?.(input, schema.ordered);
    if (valid !== undefined && valid >= 0 && valid === keyCount(input)) return input as Partial<T>;
  } catch {
    // A throwing getter: the careful path below reports it.
  }
  return readCarefully<T>(where, input, schema, prefix);
}

/** The slow path of {@link readOptions}: each option by name (inherited ones and getters too), a report for each
 * bad or unknown one, and a copy with only the good ones when something was left out. */
function readCarefully<T extends object>(where: string, input: Record<string, unknown>, schema: Schema, prefix: string): Partial<T> {
  const kept: Record<string, unknown> = {};
  let changed = false;
  try {
    for (const key of Object.keys(schema.rules)) {
      const value = input[key];
      if (value === undefined) continue;
      const rule = schema.rules[key]!;
      if (!rule.test(value)) {
        reportIgnored(where, `option "${prefix}${key}"`, value, rule.accepts);
        changed = true;
        continue;
      }
      const checked = rule.fields === undefined ? value : readOptions(where, value, rule.fields, `${prefix}${key}.`);
      if (checked !== value) changed = true;
      kept[key] = checked;
    }
    for (const key in input) {
      if (Object.hasOwn(schema.rules, key) || input[key] === undefined) continue;
      reportIgnored(where, `option "${prefix}${key}"`, input[key], "one of the known options");
      changed = true;
    }
  } catch (failure) {
    // A hostile getter or proxy: run with the defaults.
    reportIgnored(where, "options", failure, "readable");
    return NO_OPTIONS as Partial<T>;
  }
  return (changed ? kept : input) as Partial<T>;
}
