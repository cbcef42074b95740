export { start, shutdown, getSdk, type KeptTraceSummary, type StartOptions, type TelltaleSdk } from "./sdk.js";
export {
  readConfig,
  TelltaleConfigError,
  OTLP_PROTOCOLS,
  SAMPLING_MODES,
  type Env,
  type OtlpProtocol,
  type SamplingMode,
  type TelltaleConfig,
  type TelltaleConfigOptions,
} from "./config.js";
export { ConsoleSummaryExporter, type ConsoleSummaryExporterOptions } from "./console-summary.js";
export { describeSpanFindings, formatTraceTree, type TraceTreeOptions } from "./tree.js";
