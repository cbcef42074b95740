export {
  defaultPolicy,
  loadPolicyFile,
  parsePolicy,
  parsePolicyText,
  PolicyError,
  type BaselinePolicy,
  type BufferPolicy,
  type KeepRules,
  type RetriesRule,
  type SamplingPolicy,
  type SamplingPolicyInput,
  type SlowRule,
} from "./policy.js";
export { createBaselineSampler, hashTraceId, probabilisticThreshold, type BaselineSampler } from "./baseline.js";
export {
  compilePolicy,
  decideTrace,
  durationMs,
  type CompiledPolicy,
  type SpanRuleEvaluator,
  type TraceDecision,
  type TraceExtent,
  type TraceRuleEvaluator,
} from "./evaluators.js";
export {
  DROP_REASONS,
  TailSamplingSpanProcessor,
  type DropReason,
  type TailSamplingSpanProcessorOptions,
  type TailSamplingStats,
} from "./processor.js";
export {
  COLLECTOR_CONTRIB_VERSION,
  renderCollectorConfig,
  renderCollectorProcessorYaml,
  renderCollectorYaml,
  type CollectorExporterOptions,
  type CollectorPolicy,
  type CollectorTailSamplingConfig,
  type RenderCollectorConfigOptions,
  type RenderCollectorYamlOptions,
} from "./collector.js";
