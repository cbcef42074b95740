/**
 * Adds the Telltale tracing processor to the Agents SDK when `@openai/agents-core` loads, the way `@telltale/node`
 * does when the SDK is installed. The processor joins the SDK's own (its exporter to OpenAI stays unless you
 * replace it: see the README). Registered once per process, whichever build of the SDK loads, or both.
 */
import { diag } from "@opentelemetry/api";
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from "@opentelemetry/instrumentation";
import { fieldsOf } from "./fields.js";
import type { TelltaleAgentsOptions } from "./options.js";
import { TelltaleTracingProcessor } from "./processor.js";
import { VERSION } from "./version.js";

const SUPPORTED_VERSIONS = [">=0.20.0 <1"];
const REGISTERED = Symbol.for("telltale.openai-agents.registered.v1");

/** Options of {@link OpenAIAgentsInstrumentation}: the processor's, and OpenTelemetry's `enabled`. */
export interface OpenAIAgentsInstrumentationConfig extends InstrumentationConfig, TelltaleAgentsOptions {}

export class OpenAIAgentsInstrumentation extends InstrumentationBase<OpenAIAgentsInstrumentationConfig> {
  constructor(config: OpenAIAgentsInstrumentationConfig = {}) {
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

  /** For bundled apps: registers the processor with the `@openai/agents` (or `-core`) module you imported. */
  manuallyInstrument(agentsModule: unknown): void {
    this.register(agentsModule);
  }

  private register(agentsModule: unknown): void {
    const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
    if (holder[REGISTERED] === true) return;
    const addTraceProcessor = fieldsOf(agentsModule)?.addTraceProcessor;
    if (typeof addTraceProcessor !== "function") {
      diag.warn("@telltale/openai-agents: addTraceProcessor not found; Agents SDK runs are not traced");
      return;
    }
    try {
      const { workflows, tools } = this.getConfig();
      (addTraceProcessor as (processor: TelltaleTracingProcessor) => void)(
        new TelltaleTracingProcessor({ ...(workflows !== undefined && { workflows }), ...(tools !== undefined && { tools }) }),
      );
      holder[REGISTERED] = true;
    } catch (failure) {
      diag.error("@telltale/openai-agents: registering the tracing processor failed", failure);
    }
  }
}
