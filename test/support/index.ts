export { goBinaries, REPO_ROOT, type GoBinaries } from "./go-binaries.js";
export { delay, freePort, freePorts, ManagedProcess, pollUntil, waitUntilHealthy } from "./processes.js";
export { environmentWithoutTelemetry, runTelltaleApp, type AppRun } from "./node-app.js";
export {
  startCollector,
  validateCollectorConfig,
  writeConfigFile,
  type CollectorPorts,
  type ConfigObject,
  type RunningCollector,
  type StartCollectorOptions,
} from "./collector.js";
export {
  JaegerClient,
  startJaeger,
  tracesFromOtlpJson,
  type AttributeValue,
  type FindTracesQuery,
  type RunningJaeger,
  type StoredSpan,
  type StoredTrace,
} from "./jaeger.js";
export { postOtlpJson } from "./otlp.js";
export {
  LOAD_BALANCER_CONFIG,
  startSamplingCollector,
  TAIL_SAMPLING_CONFIG,
  TEST_DECISION_TIMING,
  type SamplingCollector,
  type StartSamplingCollectorOptions,
} from "./pipeline.js";
export { corpusSpanShape, decisionsByName, inProcessDecisions, markerTrace, storedAfterDecisions, storedSpanShape } from "./conformance.js";
export {
  ALERT_RULES,
  alertRulesWithFor,
  PROMETHEUS_CONFIG,
  PrometheusClient,
  startPrometheus,
  type PromAlert,
  type PromSample,
  type RunningPrometheus,
  type StartPrometheusOptions,
} from "./prometheus.js";
