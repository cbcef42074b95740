/**
 * The Agents SDK traces and spans under way, with what each became. Shared by every processor and by the ESM and CJS
 * copies of this package, so that the SDK's spans and the SDK calls made under them meet in one place.
 */
import type { Context } from "@opentelemetry/api";
import type { ManualSpan, ModelCall } from "@telltale/core/instrumentation";

export type EntryKind = "workflow" | "agent" | "step" | "tool" | "model" | "through";

export interface SpanEntry {
  readonly kind: EntryKind;
  /** The context work under this entry starts in (its own span's, or its parent's for one without a span). */
  readonly context: Context;
  readonly span?: ManualSpan;
  /** Ends `span` without an error: `partial` for a run that stopped short (max turns). */
  readonly close?: (partial: boolean, output?: unknown) => void;
  readonly modelCall?: ModelCall;
  /** The workflow (trace) entry this entry belongs to. */
  readonly workflow: SpanEntry | undefined;
  /** A workflow: how its run ended, as its task span reported it. */
  runError?: unknown;
  runStoppedShort?: boolean;
}

/** Bounds what is kept when an SDK span or trace never ends. */
const MAX_OPEN = 10_000;

interface Registry {
  readonly traces: Map<string, SpanEntry>;
  readonly spans: Map<string, SpanEntry>;
}

const REGISTRY_SYMBOL = Symbol.for("telltale.openai-agents.spans.v1");

export function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY_SYMBOL] ??= { traces: new Map(), spans: new Map() });
}

/** Remembers `entry`; past the bound the oldest one is ended as never finished, and forgotten. */
export function remember(map: Map<string, SpanEntry>, id: string, entry: SpanEntry): void {
  map.set(id, entry);
  while (map.size > MAX_OPEN) {
    const [oldestId, oldest] = map.entries().next().value ?? [];
    if (oldestId === undefined || oldest === undefined) break;
    map.delete(oldestId);
    oldest.span?.fail(new Error("the Agents SDK span never reported its end"));
    oldest.modelCall?.end();
  }
}
