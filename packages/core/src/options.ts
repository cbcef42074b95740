/**
 * The one place the options of core's API are checked. Each function declares a schema (option name -> rule) and
 * reads its options through the schema's `read`: an option that breaks its rule is reported once through `diag`
 * (naming the function, the option and the value) and treated as absent, so the user's work still runs with the
 * defaults. Nothing here throws.
 */
import { CORE_DIAG } from "./diag.js";

/** What one option accepts: `accepts` says it in words for the report, `test` checks a value. */
export interface Rule {
  readonly accepts: string;
  readonly test: (value: unknown) => boolean;
  /** For an option that is itself an object of options (e.g. `budget`): the schema of its fields. */
  readonly fields?: Schema<object>;
  /** The caller must give it (e.g. an LLM call's provider): a missing one is reported too. */
  readonly required?: boolean;
}

/** The fast path of one schema: `input` itself when it is absent-or-valid in full, undefined when the careful path
 * must look (an invalid, unknown or unreadable option, or not an object). */
type FastRead = (input: unknown) => object | undefined;

/** The options one function takes: option name -> rule. Build it with {@link defineSchema}. */
export interface Schema<T extends object = object> {
  readonly rules: Readonly<Record<string, Rule>>;
  readonly fastRead: FastRead;
  /**
   * The options `input` holds that follow the rules, for the function named `where`. Returns `input` itself when
   * every option is valid (nothing allocated), else a copy without the invalid ones; an input that is not an object
   * (null, a string …) counts as no options. Every invalid or unknown option is reported once. Never throws.
   * Call it on the schema constant itself (`SCHEMA.read(…)`): each schema has its own, so V8 can inline it there.
   */
  read(where: string, input: unknown): Partial<T>;
}

const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * A schema, with its fast path compiled once: a function that reads each option by its literal name and calls each
 * rule directly. Looking options up by a variable name (`input[key]` in a loop) costs V8 a slow megamorphic lookup
 * per option (about 700 ns for an LLM call's options and attempt), and so does one shared `readOptions(schema, …)`
 * call site for every schema (about 2 % of a `startLlmCall` + `recordAttempt` + `end` loop); read through each
 * schema's own `read`, the checks measured within the noise of none. The names come from core's own schemas, never
 * from user input. Where code generation is disallowed, a generic loop does the same work, slower.
 */
export function defineSchema<T extends object>(fields: Readonly<Record<string, Rule>>): Schema<T> {
  const fastRead = compileFastRead(fields) ?? genericFastRead(fields);
  const schema: Schema<T> = {
    rules: fields,
    fastRead,
    read: (where, input) => (fastRead(input) ?? readCarefully(where, input, schema, "")) as Partial<T>,
  };
  return schema;
}

function compileFastRead(fields: Readonly<Record<string, Rule>>): FastRead | undefined {
  const names = Object.keys(fields);
  // An object of options (e.g. `budget`) is checked by its own schema's fast path: valid when it comes back as is.
  const tests = names.map((name) => {
    const nested = fields[name]!.fields;
    return nested === undefined ? fields[name]!.test : (value: unknown) => nested.fastRead(value) === value;
  });
  const reads = names.map((name, index) =>
    fields[name]!.required === true
      ? `v = input[${JSON.stringify(name)}]; if (v === undefined || !test${index}(v)) return undefined; n++;`
      : `v = input[${JSON.stringify(name)}]; if (v !== undefined) { if (!test${index}(v)) return undefined; n++; }`,
  );
  const hasRequired = names.some((name) => fields[name]!.required === true);
  const body = [
    '"use strict";',
    "return function fastRead(input) {",
    `  if (input === undefined) return ${hasRequired ? "undefined" : "NO_OPTIONS"};`,
    '  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;',
    "  try {",
    "    let v; let n = 0;",
    ...reads.map((read) => `    ${read}`),
    // Each enumerable key holds a checked option (none unknown, none explicitly undefined).
    "    let keys = 0; for (const _ in input) keys++;",
    "    return keys === n ? input : undefined;",
    "  } catch { return undefined; }",
    "};",
  ].join("\n");
  try {
    return new Function("NO_OPTIONS", ...tests.map((_, index) => `test${index}`), body)(NO_OPTIONS, ...tests) as FastRead;
  } catch {
    return undefined;
  }
}

function genericFastRead(fields: Readonly<Record<string, Rule>>): FastRead {
  const entries = Object.entries(fields);
  const hasRequired = entries.some(([, rule]) => rule.required === true);
  return (input) => {
    if (input === undefined) return hasRequired ? undefined : NO_OPTIONS;
    if (!isObject(input)) return undefined;
    try {
      let valid = 0;
      for (const [name, rule] of entries) {
        const value = input[name];
        if (value === undefined) {
          if (rule.required === true) return undefined;
          continue;
        }
        if (rule.fields !== undefined ? rule.fields.fastRead(value) !== value : !rule.test(value)) return undefined;
        valid++;
      }
      let keys = 0;
      for (const _ in input) keys++;
      return keys === valid ? input : undefined;
    } catch {
      return undefined;
    }
  };
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
  /** A point in time or a reading: any finite number. */
  finite: rule("a finite number", (value) => typeof value === "number" && Number.isFinite(value)),
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
  object(fields: Schema<object>): Rule {
    return { accepts: "an object", test: isObject, fields };
  },
  /** `rule`, and the caller must give it. */
  required(rule: Rule): Rule {
    return { ...rule, required: true };
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
  CORE_DIAG.warn(`${where}: ${what} must be ${accepts}; got ${renderValue(value)}. It is ignored.`);
}

/** Whether `value` follows `rule`; reports it once (as `what` of `where`) when it does not. For single arguments. */
export function isValid(where: string, what: string, value: unknown, rule: Rule): boolean {
  if (rule.test(value)) return true;
  reportIgnored(where, what, value, rule.accepts);
  return false;
}

/** The slow path of {@link Schema.read}: each option by name (inherited ones and getters too), a report for each
 * bad or unknown one, and a copy with only the good ones when something was left out. */
function readCarefully(where: string, given: unknown, schema: Schema<object>, prefix: string): object {
  // Only a schema with required options gets here without options: it reports each one missing.
  if (given !== undefined && !isObject(given)) {
    reportIgnored(where, "options", given, "an object");
    return NO_OPTIONS;
  }
  const input: Record<string, unknown> = given ?? NO_OPTIONS;
  const kept: Record<string, unknown> = {};
  let changed = false;
  try {
    for (const key of Object.keys(schema.rules)) {
      const value = input[key];
      const rule = schema.rules[key]!;
      if (value === undefined) {
        if (rule.required === true) reportIgnored(where, `option "${prefix}${key}"`, value, rule.accepts);
        continue;
      }
      if (!rule.test(value)) {
        reportIgnored(where, `option "${prefix}${key}"`, value, rule.accepts);
        changed = true;
        continue;
      }
      const checked = rule.fields === undefined ? value : (rule.fields.fastRead(value) ?? readCarefully(where, value, rule.fields, `${prefix}${key}.`));
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
    return NO_OPTIONS;
  }
  return changed ? kept : input;
}
