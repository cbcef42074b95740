/**
 * Telltale's metric instruments. An LLM call records to the instruments of the instrumentation that made it
 * ({@link createLlmMetrics} from its `this.meter`, passed as `LlmCallOptions.metrics`), so that
 * `instrumentation.setMeterProvider(...)` routes them as it does for the OpenTelemetry instrumentations. Everything
 * else (workflows, tools, `retry`, budgets, late results, and LLM calls started without instruments) records to
 * core's own instruments, from the global meter provider.
 */
import { createNoopMeter, metrics, ValueType, type Attributes, type Counter, type Histogram, type Meter, type MeterProvider } from "@opentelemetry/api";
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

/** The instruments an LLM call records to: build them with {@link createLlmMetrics}. */
export interface LlmMetrics {
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly retries: Counter;
  readonly softErrors: Counter;
  /** False when the meter is a no-op one: calls then skip building measurement attributes at all. */
  readonly enabled: boolean;
}

/** Core's own instruments. */
export interface Instruments extends LlmMetrics {
  readonly budgetExceedances: Counter;
  readonly lateResults: Counter;
}

// Bucket boundaries recommended by the GenAI semantic conventions for these two histograms.
const DURATION_BUCKETS_S = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/**
 * The GenAI client instruments (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`) and Telltale's
 * retry and soft-error counters, created on `meter`. An instrumentation calls it in `_updateMetricInstruments()`
 * with `this.meter` and passes the result to every `startLlmCall` as `metrics`.
 */
export function createLlmMetrics(meter: Meter): LlmMetrics {
  const operationDuration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
    description: "GenAI operation duration",
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
    description: "Measures number of input and output tokens used",
    unit: "{token}",
    valueType: ValueType.INT,
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  // The no-op meter hands out shared singleton instruments: comparing with them tells a no-op meter apart.
  const noopMeter = createNoopMeter();
  const enabled =
    operationDuration !== noopMeter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION) ||
    tokenUsage !== noopMeter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
  return {
    operationDuration,
    tokenUsage,
    retries: meter.createCounter(METRIC_TELLTALE_RETRIES, { description: "Retried attempts", unit: "{retry}" }),
    softErrors: meter.createCounter(METRIC_TELLTALE_SOFT_ERRORS, {
      description: "Failures that raised nothing (truncated, empty, refused …)",
      unit: "{error}",
    }),
    enabled,
  };
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE_NAME, VERSION);
  return {
    ...createLlmMetrics(meter),
    budgetExceedances: meter.createCounter(METRIC_TELLTALE_BUDGET_EXCEEDED, {
      description: "Traces whose token or cost budget was exceeded",
      unit: "{trace}",
    }),
    lateResults: meter.createCounter(METRIC_TELLTALE_LATE_RESULTS, {
      description: "Steps and tools that ended after their caller had ended",
      unit: "{result}",
    }),
  };
}

/** Core's instruments on the current global meter provider, created once per provider (so a provider registered
 * after the first measurement is picked up). */
export function instruments(): Instruments {
  const state = coreState();
  const provider = metrics.getMeterProvider();
  let entry = state.instruments;
  if (entry?.provider !== provider || entry.instruments.enabled === undefined) {
    entry = { provider, instruments: createInstruments(provider) };
    state.instruments = entry;
  }
  return entry.instruments;
}

type Measured = "operationDuration" | "retries" | "softErrors" | "budgetExceedances" | "lateResults";

/** Records a measurement on `target` (default: core's instruments) without ever throwing. */
export function record(what: Measured, value: number, attributes: Attributes, target?: LlmMetrics): void {
  try {
    const set = (target ?? instruments()) as Instruments;
    const instrument = set[what];
    if ("record" in instrument) instrument.record(value, attributes);
    else instrument.add(value, attributes);
  } catch (failure) {
    reportFailure(`recording ${what}`, failure);
  }
}
