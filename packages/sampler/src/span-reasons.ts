/**
 * What is wrong on one finished span, by the rule table: for tools that explain a trace (`@telltale/node`'s trace
 * trees, the demo's report) without spelling the rules again.
 */
import type { KeepReason } from "@telltale/core/attributes";
import { REASON_BIT, reasonsFromMask, SpanReader, type SpanFacts } from "./evaluators.js";
import { defaultPolicy } from "./policy.js";
import { MARKED_REASONS } from "./rules.js";

let reader: SpanReader | undefined;

/** `keep` says only that a mark was set (its reasons are listed); the baseline says nothing about a span. */
const NOT_A_FINDING = REASON_BIT.keep | REASON_BIT.baseline;

/**
 * The keep reasons one finished span shows on its own, in `KEEP_REASONS` order: the span rules of `KEEP_RULES` it
 * matches (with every rule on, at the default policy's settings), the reasons its keep marks name
 * (`telltale.keep.reasons`), and the `MARKED_REASONS` whose attribute it carries. Trace rules (`slow`) need the
 * whole trace and are not included; nor are `keep` and `baseline`.
 */
export function spanKeepReasons(span: SpanFacts): KeepReason[] {
  reader ??= new SpanReader(defaultPolicy.rules);
  let mask = reader.read(span);
  for (const marked of MARKED_REASONS) if (span.attributes[marked.attribute] === true) mask |= REASON_BIT[marked.reason];
  return reasonsFromMask(mask & ~NOT_A_FINDING);
}
