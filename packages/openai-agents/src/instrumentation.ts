/**
 * Adds the Telltale tracing processor to the Agents SDK's global trace provider when `@openai/agents-core` loads, the
 * way `@telltale/node` does when the SDK is installed. The processor runs beside the SDK's own (its exporter to
 * OpenAI stays unless you replace it: see the README). Registered once per process, whichever build of the SDK
 * loads, or both; `disable()` does not take it out again (the SDK has no way to remove one processor).
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from "@opentelemetry/instrumentation";
import { fieldsOf } from "./fields.js";
import { isTelltaleProcessor, TelltaleTracingProcessor } from "./processor.js";
import { VERSION } from "./version.js";
import { OPENAI_AGENTS_DIAG } from "./diag.js";

const SUPPORTED_VERSIONS = [">=0.20.0 <1"];
const REGISTERED = Symbol.for("telltale.openai-agents.registered.v1");

/** Registers a Telltale processor that takes the options of `configureAgents`. */
export class OpenAIAgentsInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(config: InstrumentationConfig = {}) {
    super("@telltale/openai-agents", VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition("@openai/agents-core", SUPPORTED_VERSIONS, (exports: unknown) => {
        this.register(exports);
        return exports;
      }),
    ];
  }

  /** For bundled apps: registers the processor through the `@openai/agents` (or `-core`) module you imported. */
  manuallyInstrument(agentsModule: unknown): void {
    this.register(agentsModule);
  }

  private register(agentsModule: unknown): void {
    try {
      const getProvider = fieldsOf(agentsModule)?.getGlobalTraceProvider;
      if (typeof getProvider !== "function") {
        OPENAI_AGENTS_DIAG.warn("no getGlobalTraceProvider found; Agents SDK runs are not traced");
        return;
      }
      const provider = (getProvider as () => unknown)() as TraceProvider;
      if (provider[REGISTERED] === true) return;
      const processor = new TelltaleTracingProcessor();
      keepRegistered(provider, processor);
      provider.registerProcessor(processor);
      provider[REGISTERED] = true;
    } catch (failure) {
      OPENAI_AGENTS_DIAG.error("registering the tracing processor failed", failure);
    }
  }
}

/** The parts of the SDK's global `TraceProvider` the registration uses. */
interface TraceProvider {
  registerProcessor(processor: unknown): void;
  setProcessors(processors: unknown[]): void;
  [REGISTERED]?: boolean;
}

/**
 * `@openai/agents` replaces the processor list with its exporter to OpenAI right after `@openai/agents-core` loads
 * (and an app may replace it again): a list set without a Telltale processor gets this one back. A list that has
 * one (`setTraceProcessors([telltaleProcessor()])`, to drop the exporter to OpenAI) is taken as it is.
 */
function keepRegistered(provider: TraceProvider, processor: TelltaleTracingProcessor): void {
  const setProcessors = provider.setProcessors.bind(provider);
  provider.setProcessors = (processors: unknown[]): void => {
    const hasTelltale = Array.isArray(processors) && processors.some(isTelltaleProcessor);
    setProcessors(hasTelltale ? processors : [...processors, processor]);
  };
}
