import type { FaultScript } from "@telltale/mock-llm";

/** The silent failures of the project brief, F1-F15, as the demo names them. */
export const FAILURES = {
  F1: "SDK retried 429/5xx inside one call",
  F2: "a rate limit killed a subtask",
  F3: "a non-recoverable error was retried",
  F4: "truncated / filtered / refused answer without an exception",
  F5: "a tool returned an empty or error result",
  F6: "workflow finished with steps missing (partial)",
  F7: "a retry succeeded only after its arguments changed",
  F8: "side effect without idempotency key / fired twice",
  F9: "token budget exceeded",
  F10: "deadline exceeded / tool timeout longer than the time left",
  F11: "a result arrived after its caller ended",
  F12: "orphaned work / fire-and-forget rejection",
  F13: "one slow tool made the trace slow",
  F14: "queue hand-off joined the producer's trace",
  F15: "a stream was abandoned mid-way",
} as const;

export type FailureId = keyof typeof FAILURES;
export const FAILURE_IDS = Object.keys(FAILURES) as FailureId[];

/** What goes wrong in one workflow run; `healthy` runs are the bulk the sampler should drop. */
export type ScenarioKind =
  | "healthy"
  | "sdk_rate_limited"
  | "sdk_overloaded"
  | "subtask_rate_limited"
  | "context_too_long"
  | "truncated_plan"
  | "refused_summary"
  | "filtered_research"
  | "empty_search"
  | "skipped_ticket"
  | "slot_machine"
  | "double_ticket"
  | "notify_without_key"
  | "runaway_loop"
  | "tight_deadline"
  | "late_cache_warm"
  | "webhook_rejects"
  | "lost_trace_context"
  | "slow_tool"
  | "abandoned_stream"
  | "runbook_unavailable";

/** The faulty runs, in the order their first trace is shown; every failure F1-F15 is the target of at least one. */
export const FAULTY_SCENARIOS: readonly { kind: ScenarioKind; targets: FailureId }[] = [
  { kind: "sdk_rate_limited", targets: "F1" },
  { kind: "sdk_overloaded", targets: "F1" },
  { kind: "subtask_rate_limited", targets: "F2" },
  { kind: "context_too_long", targets: "F3" },
  { kind: "truncated_plan", targets: "F4" },
  { kind: "refused_summary", targets: "F4" },
  { kind: "filtered_research", targets: "F4" },
  { kind: "empty_search", targets: "F5" },
  { kind: "skipped_ticket", targets: "F6" },
  { kind: "slot_machine", targets: "F7" },
  { kind: "double_ticket", targets: "F8" },
  { kind: "notify_without_key", targets: "F8" },
  { kind: "runaway_loop", targets: "F9" },
  { kind: "tight_deadline", targets: "F10" },
  { kind: "late_cache_warm", targets: "F11" },
  { kind: "webhook_rejects", targets: "F12" },
  { kind: "lost_trace_context", targets: "F12" },
  { kind: "slow_tool", targets: "F13" },
  { kind: "abandoned_stream", targets: "F15" },
  { kind: "runbook_unavailable", targets: "F5" },
];

/** Mock LLM scenarios the agent selects with a `[scenario:NAME#run-N]` marker in the prompt. */
export const MOCK_SCENARIOS_SCRIPT: FaultScript = {
  scenarios: {
    sdk_rate_limited: [
      { kind: "error", error: "rate_limit", retryAfterMs: 15 },
      { kind: "error", error: "rate_limit", retryAfterMs: 15 },
      { kind: "ok" },
    ],
    sdk_overloaded: [{ kind: "error", error: "overloaded", retryAfterMs: 10 }, { kind: "ok" }],
    // Three 429s exhaust the SDK's two retries: the subtask dies of the rate limit.
    rate_limit_exhausted: [
      { kind: "error", error: "rate_limit", retryAfterMs: 5 },
      { kind: "error", error: "rate_limit", retryAfterMs: 5 },
      { kind: "error", error: "rate_limit", retryAfterMs: 5 },
    ],
    context_too_long: [
      { kind: "error", error: "context_length_exceeded" },
      { kind: "error", error: "context_length_exceeded" },
    ],
    // A 500 the SDK is told not to retry: the agent's own retry loop takes over (and changes the arguments).
    flaky_once: [{ kind: "error", error: "server_error", shouldRetry: false }, { kind: "ok" }],
    slow_stream: [{ kind: "ok", chunkDelayMs: 15 }],
  },
};

/** A deterministic PRNG (mulberry32): the same seed gives the same run order. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `runs` scenarios: every faulty one once, the rest healthy, shuffled by `seed`. */
export function planRuns(runs: number, seed: number): ScenarioKind[] {
  const kinds: ScenarioKind[] = FAULTY_SCENARIOS.map((scenario) => scenario.kind);
  while (kinds.length < runs) kinds.push("healthy");
  const random = seededRandom(seed);
  for (let index = kinds.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [kinds[index], kinds[other]] = [kinds[other]!, kinds[index]!];
  }
  return kinds;
}
