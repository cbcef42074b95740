import { createNoopMeter, metrics, ValueType, type Attributes, type Counter, type Histogram, type MeterProvider } from "@opentelemetry/api";
import {
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_TELLTALE_BUDGET_EXCEEDED,
  METRIC_TELLTALE_LATE_RESULTS,
  METRIC_TELLTALE_RETRIES,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "./attributes.js";
import { reportFailure } from "./safe.js";
import { coreState } from "./state.js";
import { SCOPE_NAME, VERSION } from "./version.js";

/** The instruments core records to. */
export interface Instruments {
  operationDuration: Histogram;
  tokenUsage: Histogram;
  retries: Counter;
  softErrors: Counter;
  budgetExceedances: Counter;
  lateResults: Counter;
}

// Bucket boundaries recommended by the GenAI semantic conventions for these two histograms.
const DURATION_BUCKETS_S = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

// Where the API keeps its globals (`Symbol.for("opentelemetry.js.api.<major>")`, api/src/internal/global-utils.ts).
// `metrics.getMeterProvider()` is a function of that object and its `metrics` slot alone: while neither has changed,
// the last answer holds, and every LLM call asks (metricsEnabled). Asking the API each time measured 1–2 % slower a
// call in the bench's lockstep A/Bs (bench/NOTES.md, round 7).
const API_GLOBALS = Symbol.for("opentelemetry.js.api.1");

type InstrumentsEntry = NonNullable<ReturnType<typeof coreState>["instruments"]>;
let lastLookup: { registry: object; slot: unknown; entry: InstrumentsEntry } | undefined;

function apiGlobals(): Readonly<Record<string, unknown>> | undefined {
  const registry: unknown = (globalThis as unknown as Record<symbol, unknown>)[API_GLOBALS];
  return typeof registry === "object" && registry !== null ? (registry as Readonly<Record<string, unknown>>) : undefined;
}

/** The instruments of the current global meter provider, created once per provider (so a provider registered
 * after the first call is picked up, and the hot path is a few identity checks). */
function currentInstruments(): InstrumentsEntry {
  const state = coreState();
  const registry = apiGlobals();
  const last = lastLookup;
  // state.instruments is compared too: the other (ESM/CJS) copy of core may have replaced it.
  if (
    last !== undefined &&
    registry !== undefined &&
    last.registry === registry &&
    last.slot === registry.metrics &&
    last.entry === state.instruments
  ) {
    return last.entry;
  }
  const provider = metrics.getMeterProvider();
  let entry = state.instruments;
  if (entry?.provider !== provider) {
    entry = { provider, ...createInstruments(provider) };
    state.instruments = entry;
  }
  // Without the API's globals object (an API whose key differs), every call asks the API.
  lastLookup = registry === undefined ? undefined : { registry, slot: registry.metrics, entry };
  return entry;
}

/** The instruments of the current global meter provider. */
export function instruments(): Instruments {
  return currentInstruments().instruments;
}

function createInstruments(provider: MeterProvider): { instruments: Instruments; noop: boolean } {
  const meter = provider.getMeter(SCOPE_NAME, VERSION);
  const created: Instruments = {
    operationDuration: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: "GenAI operation duration",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: "Measures number of input and output tokens used",
      unit: "{token}",
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    retries: meter.createCounter(METRIC_TELLTALE_RETRIES, { description: "Retried attempts", unit: "{retry}" }),
    softErrors: meter.createCounter(METRIC_TELLTALE_SOFT_ERRORS, {
      description: "Failures that raised nothing (truncated, empty, refused …)",
      unit: "{error}",
    }),
    budgetExceedances: meter.createCounter(METRIC_TELLTALE_BUDGET_EXCEEDED, {
      description: "Traces whose token or cost budget was exceeded",
      unit: "{trace}",
    }),
    lateResults: meter.createCounter(METRIC_TELLTALE_LATE_RESULTS, {
      description: "Steps and tools that ended after their caller had ended",
      unit: "{result}",
    }),
  };
  // The no-op meter hands out shared singleton instruments: comparing with them tells a no-op provider apart.
  const noopMeter = createNoopMeter();
  const noop =
    created.operationDuration === noopMeter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION) &&
    created.tokenUsage === noopMeter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
  return { instruments: created, noop };
}

/** False while no meter provider is registered: callers then skip building measurement attributes at all. */
export function metricsEnabled(): boolean {
  return currentInstruments().noop !== true;
}

/** Records a measurement without ever throwing. */
export function record(what: keyof Instruments, value: number, attributes: Attributes): void {
  // Inline try/catch and a label built only on failure: this runs several times per LLM call.
  try {
    const instrument = instruments()[what];
    if ("record" in instrument) instrument.record(value, attributes);
    else instrument.add(value, attributes);
  } catch (failure) {
    reportFailure(`recording ${what}`, failure);
  }
}
