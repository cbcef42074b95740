// Registers the OpenTelemetry ESM loader hook (import-in-the-middle) so that `openai` and `@anthropic-ai/sdk`
// imported as ES modules are patched too. Resolved from this package, where @opentelemetry/instrumentation is a
// dependency. Loaded by @telltale/node/register; `module.register` needs Node >= 20.6.
import { register } from "node:module";

if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true") {
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
}
