// The in-process tail sampler, the keep policy it and the collector share, and the collector config rendered from
// that policy. Why a span was kept, as data, is on `@telltale/sampler/explain`; the conformance corpus and the engine
// it judges on `@telltale/sampler/conformance`.
export {
  defaultPolicy,
  loadPolicyFile,
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
export { MAX_TIMER_MS, SamplerOptionError } from "./limits.js";
export { DROP_REASONS, LOSS_REASONS, type DropReason, type LossReason } from "./outcomes.js";
export type { TailSamplingStats } from "./ledger.js";
export type { WarningSink } from "./loss-warning.js";
export { TailSamplingSpanProcessor, type TailSamplingSpanProcessorOptions } from "./processor.js";
export {
  COLLECTOR_CONTRIB_VERSION,
  renderCollectorConfig,
  renderCollectorYaml,
  type CollectorExporterOptions,
  type CollectorPolicy,
  type CollectorTailSamplingConfig,
  type RenderCollectorConfigOptions,
  type RenderCollectorYamlOptions,
} from "./collector.js";
