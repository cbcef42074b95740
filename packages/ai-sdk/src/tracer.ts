import { trace, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { SCOPE_NAME, VERSION } from "./version.js";

// Keyed on the global provider object, so that a provider registered later is still picked up.
let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/** This package's tracer from the global tracer provider. */
export function aiSdkTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(SCOPE_NAME, VERSION) };
  return cached.tracer;
}
