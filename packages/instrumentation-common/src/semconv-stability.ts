/**
 * Which version of the GenAI semantic conventions the instrumentations write, chosen the way the OpenTelemetry
 * instrumentations choose theirs: `OTEL_SEMCONV_STABILITY_OPT_IN` is a comma-separated list of category tokens, and
 * the GenAI category's token is `gen_ai_latest_experimental`.
 *
 * - Without it, the version Telltale has always written: the GenAI conventions as released in OpenTelemetry semantic
 *   conventions v1.41.1. It does not change between Telltale releases, so queries and dashboards keep working.
 * - With it, the latest experimental version (the GenAI conventions repository's development schema
 *   `gen-ai-dev/1.42.0-dev`) where the two differ, instead of the pinned one, not alongside it (the GenAI
 *   conventions define no `/dup` mode, unlike `http/dup`).
 *
 * Other categories' tokens (`http`, `database/dup` …) are left to their instrumentations.
 */

/** The standard environment variable. */
export const SEMCONV_STABILITY_OPT_IN_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN";

/** The token that opts into the latest experimental GenAI conventions. */
export const GEN_AI_LATEST_EXPERIMENTAL = "gen_ai_latest_experimental";

/** `pinned`: the GenAI conventions of semantic conventions v1.41.1. `latest`: their latest development version. */
export type GenAiConventions = "pinned" | "latest";

/**
 * The GenAI conventions an opt-in list (`OTEL_SEMCONV_STABILITY_OPT_IN`'s value) asks for. Tokens are trimmed and
 * compared without case, as `semconvStabilityFromStr` of `@opentelemetry/instrumentation` does for its categories.
 */
export function genAiConventionsFrom(optIn: string | undefined): GenAiConventions {
  if (optIn === undefined) return "pinned";
  for (const token of optIn.split(",")) {
    if (token.trim().toLowerCase() === GEN_AI_LATEST_EXPERIMENTAL) return "latest";
  }
  return "pinned";
}
