/**
 * The keep policy: one typed definition that both engines (the in-process processor and the collector renderer)
 * are built from. Users write it as YAML or JSON with the same shape as {@link SamplingPolicy}; anything left out
 * takes its value from {@link defaultPolicy}.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { rangeViolation, RANGES, type RangeName } from "./limits.js";
import { KEEP_RULES, type KeepRule } from "./rules.js";

/** Keep a trace whose duration (earliest span start to latest span end) is over a threshold. */
export interface SlowRule {
  /** Milliseconds; a trace is slow when its whole-millisecond duration is strictly greater (collector semantics). */
  readonly thresholdMs: number;
  /**
   * Per-workflow thresholds by `gen_ai.workflow.name`, overriding `thresholdMs` for traces of that workflow.
   * In-process only: the collector's `latency` policy has no per-attribute threshold, so the rendered config
   * uses `thresholdMs` for every trace.
   */
  readonly workflows: Readonly<Record<string, number>>;
}

/** Keep a trace with a span whose `telltale.retry.count` is at least `min`. */
export interface RetriesRule {
  readonly min: number;
}

/** The keep rules. `false` disables a rule. */
export interface KeepRules {
  /** Any span with status ERROR. */
  readonly error: boolean;
  /** Trace duration over a threshold. */
  readonly slow: SlowRule | false;
  /** Any span with `telltale.budget.exceeded=true`. */
  readonly budgetExceeded: boolean;
  /** Any span with `telltale.workflow.outcome=partial`. */
  readonly partial: boolean;
  /** Any span carrying `telltale.soft_error`. */
  readonly softError: boolean;
  /** Any span with `telltale.retry.count >= min`. */
  readonly retries: RetriesRule | false;
  /** Any span with `telltale.late=true`. */
  readonly late: boolean;
  /** Any span with `telltale.orphan=true`. */
  readonly orphan: boolean;
  /** Any span with `telltale.duplicate=true`. */
  readonly duplicate: boolean;
  /** Any span with `telltale.keep=true`. */
  readonly keep: boolean;
}

/** The probabilistic baseline of traces no rule kept: the collector `probabilistic` policy's algorithm. */
export interface BaselinePolicy {
  /** 0 to 100. */
  readonly percentage: number;
  /** Salt hashed before the trace id; the same salt in every process and collector gives the same decisions. */
  readonly hashSalt: string;
}

/** How long and how much the samplers buffer. */
export interface BufferPolicy {
  /** Grace period after a trace's (local) root span ends before deciding, for late spans. Collector:
   * `decision_wait_after_root_received`. */
  readonly decisionWaitMs: number;
  /** The longest a trace is buffered when its root never ends. Collector: `decision_wait`. */
  readonly maxTraceAgeMs: number;
  /** Maximum traces buffered at once. Collector: `num_traces`. */
  readonly maxTraces: number;
  /** Maximum spans buffered per trace (in-process only); a trace reaching it is decided at once. */
  readonly maxSpansPerTrace: number;
  /** Trace ids remembered after a decision so late spans follow it. Collector: `decision_cache` sizes. */
  readonly decisionCacheSize: number;
  /** Estimated bytes of undecided traces buffered at once (in-process only); past it the oldest are decided early. */
  readonly maxBufferBytes: number;
  /** Estimated bytes of kept spans waiting for the exporter (in-process only); past it the lowest-priority kept
   * traces give way (baseline first, errors last). */
  readonly maxExportQueueBytes: number;
}

export interface SamplingPolicy {
  readonly rules: KeepRules;
  readonly baseline: BaselinePolicy;
  readonly buffer: BufferPolicy;
}

type DeepPartial<T> = T extends false ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What a user writes: any subset of {@link SamplingPolicy}. */
export type SamplingPolicyInput = DeepPartial<SamplingPolicy>;

/**
 * The default policy: every keep rule on, slow over 30 s, retried at least once, a 5 % baseline.
 *
 * One decision wait for both engines, 10 s after the root ends: a collector must wait out the batch delay of every
 * process feeding it (5 s by default in the OpenTelemetry SDKs) plus the network, and in-process the same wait lets
 * work a workflow left running (spawned tasks, late tool results) join the trace before it is decided. The cost is
 * buffered memory, which is bounded in bytes.
 */
export const defaultPolicy: SamplingPolicy = Object.freeze({
  // Every rule of the table on, at its default setting (slow over 30 s, retried at least once).
  rules: rulesFromTable((rule) => defaultSetting(rule)),
  baseline: Object.freeze({ percentage: 5, hashSalt: "telltale" }),
  buffer: Object.freeze({
    decisionWaitMs: 10_000,
    maxTraceAgeMs: 30_000,
    maxTraces: 10_000,
    maxSpansPerTrace: 1_000,
    decisionCacheSize: 100_000,
    maxBufferBytes: 64 * 1024 * 1024,
    maxExportQueueBytes: 32 * 1024 * 1024,
  }),
});

/** Thrown for invalid policy input; the message names the key, the allowed values and what was given. */
export class PolicyError extends Error {
  readonly key: string;
  constructor(key: string, expectation: string, got: unknown) {
    super(`telltale policy: "${key}" ${expectation}, got ${describe(got)}`);
    this.name = "PolicyError";
    this.key = key;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(key: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      const path = key ? `${key}.${name}` : name;
      throw new PolicyError(path, `is not a policy key; allowed keys here: ${allowed.join(", ")}`, value[name]);
    }
  }
}

function section(key: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new PolicyError(key, "must be a mapping", value);
  return value;
}

function bool(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new PolicyError(key, "must be true or false", value);
  return value;
}

/** A numeric policy value checked against the real range of the setting it feeds (see limits.ts). */
function inRange(key: string, value: unknown, fallback: number, range: RangeName): number {
  if (value === undefined || value === null) return fallback;
  const violation = rangeViolation(value, RANGES[range]);
  if (violation !== undefined) throw new PolicyError(key, violation, value);
  return value as number;
}

function percentage(key: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new PolicyError(key, "must be a number from 0 to 100", value);
  }
  return value;
}

function slowRule(key: string, value: unknown, fallback: SlowRule | false): SlowRule | false {
  if (value === undefined || value === null) return fallback;
  if (value === true) return fallback === false ? defaultSlowRule() : fallback;
  if (value === false) return false;
  if (!isPlainObject(value)) throw new PolicyError(key, "must be false or a mapping with thresholdMs, workflows", value);
  checkKeys(key, value, ["thresholdMs", "workflows"]);
  const base = fallback === false ? defaultSlowRule() : fallback;
  const workflowsInput = section(`${key}.workflows`, value.workflows);
  const workflows: Record<string, number> = {};
  for (const name of Object.keys(workflowsInput).sort()) {
    workflows[name] = inRange(`${key}.workflows.${name}`, workflowsInput[name], 0, "workflowThresholdMs");
  }
  return Object.freeze({
    thresholdMs: inRange(`${key}.thresholdMs`, value.thresholdMs, base.thresholdMs, "thresholdMs"),
    workflows: Object.freeze(value.workflows === undefined ? { ...base.workflows } : workflows),
  });
}

function defaultSlowRule(): SlowRule {
  return { thresholdMs: 30_000, workflows: {} };
}

function retriesRule(key: string, value: unknown, fallback: RetriesRule | false): RetriesRule | false {
  if (value === undefined || value === null) return fallback;
  if (value === true) return fallback === false ? { min: 1 } : fallback;
  if (value === false) return false;
  if (!isPlainObject(value)) throw new PolicyError(key, "must be false or a mapping with min", value);
  checkKeys(key, value, ["min"]);
  return Object.freeze({ min: inRange(`${key}.min`, value.min, fallback === false ? 1 : fallback.min, "retriesMin") });
}

type RuleSetting = KeepRules[keyof KeepRules];

/** The rules section with each rule's setting, in table order. (The table has one entry per key of KeepRules: a
 * test holds it.) */
function rulesFromTable(setting: (rule: KeepRule) => RuleSetting): KeepRules {
  return Object.freeze(Object.fromEntries(KEEP_RULES.map((rule) => [rule.policyKey, setting(rule)]))) as unknown as KeepRules;
}

/** A rule's setting when the policy leaves it out: on, with the default threshold or minimum. */
function defaultSetting(rule: KeepRule): RuleSetting {
  switch (rule.match.kind) {
    case "duration_over":
      return Object.freeze({ thresholdMs: 30_000, workflows: Object.freeze({}) });
    case "integer_at_least":
      return Object.freeze({ min: 1 });
    default:
      return true;
  }
}

/** A rule's setting from policy input: a switch, or for threshold and minimum rules false or their mapping. */
function ruleSetting(rule: KeepRule, value: unknown, fallback: RuleSetting): RuleSetting {
  const key = `rules.${rule.policyKey}`;
  switch (rule.match.kind) {
    case "duration_over":
      return slowRule(key, value, fallback as SlowRule | false);
    case "integer_at_least":
      return retriesRule(key, value, fallback as RetriesRule | false);
    default:
      return bool(key, value, fallback as boolean);
  }
}

const BUFFER_KEYS = [
  "decisionWaitMs",
  "maxTraceAgeMs",
  "maxTraces",
  "maxSpansPerTrace",
  "decisionCacheSize",
  "maxBufferBytes",
  "maxExportQueueBytes",
] as const satisfies readonly (keyof BufferPolicy & RangeName)[];

/**
 * Validates policy input (parsed YAML/JSON or an object literal) and fills in defaults from `base`.
 * Throws {@link PolicyError} on the first invalid key.
 */
export function parsePolicy(input: unknown, base: SamplingPolicy = defaultPolicy): SamplingPolicy {
  const root = section("(policy)", input);
  checkKeys("", root, ["rules", "baseline", "buffer"]);

  const rulesIn = section("rules", root.rules);
  checkKeys(
    "rules",
    rulesIn,
    KEEP_RULES.map((rule) => rule.policyKey),
  );
  const rules = rulesFromTable((rule) => ruleSetting(rule, rulesIn[rule.policyKey], base.rules[rule.policyKey]));

  const baselineIn = section("baseline", root.baseline);
  checkKeys("baseline", baselineIn, ["percentage", "hashSalt"]);
  const salt = baselineIn.hashSalt ?? base.baseline.hashSalt;
  if (typeof salt !== "string" || salt.length === 0) {
    throw new PolicyError("baseline.hashSalt", "must be a non-empty string", salt);
  }
  const baseline: BaselinePolicy = Object.freeze({
    percentage: percentage("baseline.percentage", baselineIn.percentage, base.baseline.percentage),
    hashSalt: salt,
  });

  const bufferIn = section("buffer", root.buffer);
  checkKeys("buffer", bufferIn, BUFFER_KEYS);
  const buffer = Object.fromEntries(
    BUFFER_KEYS.map((name) => [name, inRange(`buffer.${name}`, bufferIn[name], base.buffer[name], name)]),
  ) as unknown as BufferPolicy;
  Object.freeze(buffer);
  if (buffer.maxTraceAgeMs < buffer.decisionWaitMs) {
    throw new PolicyError(
      "buffer.maxTraceAgeMs",
      `must be >= buffer.decisionWaitMs (${buffer.decisionWaitMs})`,
      buffer.maxTraceAgeMs,
    );
  }

  return Object.freeze({ rules, baseline, buffer });
}

/** Parses policy text: YAML (a superset of JSON, so JSON files work too). */
export function parsePolicyText(text: string, source = "policy"): SamplingPolicy {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new Error(`telltale policy: cannot parse ${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsePolicy(data ?? {});
}

/** The largest policy file read: a real policy is a few hundred bytes. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

/** Thrown when a policy file cannot be read: missing, not a regular file, or over {@link MAX_POLICY_FILE_BYTES}. */
export class PolicyFileError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`telltale policy: cannot read policy file ${path}: ${problem}`);
    this.name = "PolicyFileError";
    this.path = path;
  }
}

/** Reads and validates a policy file (`.yaml`, `.yml` or `.json`): a regular file of at most 1 MiB. */
export function loadPolicyFile(path: string): SamplingPolicy {
  return parsePolicyText(readPolicyText(path), path);
}

function readPolicyText(path: string): string {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new PolicyFileError(path, error instanceof Error ? error.message : String(error));
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new PolicyFileError(path, "not a regular file");
    if (stat.size > MAX_POLICY_FILE_BYTES) {
      throw new PolicyFileError(path, `${stat.size} bytes is over the ${MAX_POLICY_FILE_BYTES}-byte limit`);
    }
    // Read at most one byte past the cap, so a file growing after the check is still caught.
    const buffer = Buffer.alloc(MAX_POLICY_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_POLICY_FILE_BYTES) throw new PolicyFileError(path, `over the ${MAX_POLICY_FILE_BYTES}-byte limit`);
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}
