import { ERROR_PRESETS } from "./errors.js";
import type { ErrorPreset, FaultKind, FaultScript, FaultStep, RouteName } from "./types.js";

export const FAULT_KINDS: readonly FaultKind[] = [
  "ok",
  "latency",
  "error",
  "stream_cut",
  "stream_incomplete",
  "stream_reset",
  "hang",
  "malformed_json",
  "error_payload",
  "truncated",
  "content_filter",
  "refusal",
  "empty",
  "tool_calls",
];

const ROUTES: readonly RouteName[] = ["chat.completions", "responses", "embeddings", "messages"];

/** A scenario that ships with the mock: usable as `[scenario:NAME]` without defining it in a script. */
export interface BuiltInScenario {
  steps: FaultStep[];
  /** Single-behaviour scenarios repeat forever; sequences are consumed once, then answers are `ok`. */
  repeat: boolean;
}

/**
 * Every fault kind and every error preset by name (repeating), plus retry sequences. A script's own `scenarios`
 * take precedence over these.
 */
export const BUILT_IN_SCENARIOS: Readonly<Record<string, BuiltInScenario>> = (() => {
  const scenarios: Record<string, BuiltInScenario> = {};
  for (const kind of FAULT_KINDS) {
    // The two kinds that need parameters have no scenario of their own (`slow` stands for latency).
    if (kind !== "latency" && kind !== "error") scenarios[kind] = { steps: [{ kind } as FaultStep], repeat: true };
  }
  for (const preset of ERROR_PRESETS) scenarios[preset] = { steps: [{ kind: "error", error: preset }], repeat: true };
  scenarios.slow = { steps: [{ kind: "latency", ms: 1000 }], repeat: true };
  scenarios.rate_limit_then_ok = {
    steps: [
      { kind: "error", error: "rate_limit", retryAfterMs: 10 },
      { kind: "error", error: "rate_limit", retryAfterMs: 10 },
      { kind: "ok" },
    ],
    repeat: false,
  };
  scenarios.overloaded_then_ok = {
    steps: [{ kind: "error", error: "overloaded", retryAfterMs: 10 }, { kind: "ok" }],
    repeat: false,
  };
  scenarios.server_error_then_ok = {
    steps: [{ kind: "error", error: "server_error", retryAfterMs: 10 }, { kind: "ok" }],
    repeat: false,
  };
  return scenarios;
})();

function fail(where: string, problem: string): never {
  throw new TypeError(`Invalid fault script at ${where}: ${problem}`);
}

function optionalNumber(record: Record<string, unknown>, key: string, where: string): void {
  const value = record[key];
  if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < 0)) {
    fail(`${where}.${key}`, "expected a non-negative number");
  }
}

function optionalString(record: Record<string, unknown>, key: string, where: string): void {
  if (record[key] !== undefined && typeof record[key] !== "string") fail(`${where}.${key}`, "expected a string");
}

export function parseFaultStep(value: unknown, where = "step"): FaultStep {
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(where, "expected an object");
  const record = value as Record<string, unknown>;
  if (typeof record.kind !== "string" || !FAULT_KINDS.includes(record.kind as FaultKind)) {
    fail(`${where}.kind`, `expected one of ${FAULT_KINDS.join(", ")}`);
  }
  for (const key of ["delayMs", "chunkDelayMs", "afterChunks", "status", "retryAfterSeconds", "retryAfterMs"]) {
    optionalNumber(record, key, where);
  }
  for (const key of ["text", "message", "refusal"]) optionalString(record, key, where);
  if (record.kind === "latency" && typeof record.ms !== "number") fail(`${where}.ms`, "latency needs ms");
  if (record.error !== undefined && !ERROR_PRESETS.includes(record.error as ErrorPreset)) {
    fail(`${where}.error`, `expected one of ${ERROR_PRESETS.join(", ")}`);
  }
  if (record.kind === "error" && record.error === undefined && record.status === undefined) {
    fail(where, "an error step needs `error` or `status`");
  }
  if (record.headers !== undefined) {
    const headers = record.headers;
    if (headers === null || typeof headers !== "object" || Object.values(headers).some((header) => typeof header !== "string")) {
      fail(`${where}.headers`, "expected an object of strings");
    }
  }
  if (record.calls !== undefined && !Array.isArray(record.calls)) fail(`${where}.calls`, "expected an array");
  if (record.bodyStall !== undefined && typeof record.bodyStall !== "boolean") fail(`${where}.bodyStall`, "expected a boolean");
  return record as unknown as FaultStep;
}

function parseSteps(value: unknown, where: string): FaultStep[] {
  if (!Array.isArray(value)) fail(where, "expected an array of steps");
  return value.map((step, index) => parseFaultStep(step, `${where}[${index}]`));
}

/** Validates a script read from JSON (the CLI's `--script` file) and returns it typed. */
export function parseFaultScript(value: unknown): FaultScript {
  if (value === null || typeof value !== "object") fail("root", "expected an object");
  // A bare array is accepted as `{ sequence: [...] }`.
  if (Array.isArray(value)) return { sequence: parseSteps(value, "root") };
  const record = value as Record<string, unknown>;
  const script: FaultScript = {};
  if (record.sequence !== undefined) script.sequence = parseSteps(record.sequence, "sequence");
  if (record.routes !== undefined) {
    if (record.routes === null || typeof record.routes !== "object") fail("routes", "expected an object");
    script.routes = {};
    for (const [route, steps] of Object.entries(record.routes)) {
      if (!ROUTES.includes(route as RouteName)) fail(`routes.${route}`, `expected one of ${ROUTES.join(", ")}`);
      script.routes[route as RouteName] = parseSteps(steps, `routes.${route}`);
    }
  }
  if (record.scenarios !== undefined) {
    if (record.scenarios === null || typeof record.scenarios !== "object") fail("scenarios", "expected an object");
    script.scenarios = {};
    for (const [name, steps] of Object.entries(record.scenarios)) script.scenarios[name] = parseSteps(steps, `scenarios.${name}`);
  }
  if (record.fallback !== undefined) script.fallback = parseFaultStep(record.fallback, "fallback");
  return script;
}
