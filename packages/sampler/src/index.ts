export {
  defaultPolicy,
  loadPolicyFile,
  MAX_POLICY_FILE_BYTES,
  parsePolicy,
  parsePolicyText,
  PolicyError,
  PolicyFileError,
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
  type SpanFacts,
  type TraceDecision,
  type TraceExtent,
} from "./evaluators.js";
export { KEEP_RULES, MARKED_REASONS, REASON_READS, type KeepRule, type MarkedReason, type RuleMatch } from "./rules.js";
export { spanKeepReasons } from "./span-reasons.js";
export { MAX_TIMER_MS, SamplerOptionError } from "./limits.js";
export { DROP_REASONS, LOSS_REASONS, type DropReason, type LossReason } from "./outcomes.js";
export type { TailSamplingStats } from "./ledger.js";
export type { WarningSink } from "./loss-warning.js";
export { TailSamplingSpanProcessor, type TailSamplingSpanProcessorOptions } from "./processor.js";
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
