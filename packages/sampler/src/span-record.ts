/**
 * The compact form a finished span takes while the sampler holds it. The SDK's span object carries its processor,
 * limits, clock offsets and a duration array that nobody reads after it ends; holding only what an exporter reads
 * (and sharing the common status object) about halves the heap a buffered span costs. The record is itself the
 * {@link ReadableSpan} an exporter gets when the trace is kept.
 *
 * Each record also carries an estimate of the heap it holds, which is what the buffer and export queue budgets
 * count. The processor estimates a span's attributes in the same pass that checks its rules (evaluators.ts).
 */
import { SpanStatusCode, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatus } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_DROPS: readonly [number, number, number] = Object.freeze([0, 0, 0]);
// Most spans have no events or links, yet each carries its own empty arrays: share one (exporters only read them).
const NO_EVENTS = Object.freeze([]) as unknown as TimedEvent[];
const NO_LINKS = Object.freeze([]) as unknown as Link[];

/** The record, the span context and its ids, for a span without attributes: calibrated so that the estimate meets
 * the heap measured for agent-shaped spans (bench/src/sampler-memory-probe.cjs: 485-515 B measured, 488 B estimated
 * per span). */
const RECORD_BYTES = 235;
/** One attribute slot (the key string is shared with the instrumentation that wrote it). */
const ATTRIBUTE_BYTES = 16;
const STRING_BYTES = 16;
const NUMBER_BYTES = 12;
const ARRAY_BYTES = 16;
/** An event: the object, its time array, its attributes object. */
const EVENT_BYTES = 120;
const LINK_BYTES = 100;

/** Estimated heap of one attribute and its value (a captured message is counted by its length). */
export function attributeBytes(value: unknown): number {
  if (typeof value === "string") return ATTRIBUTE_BYTES + STRING_BYTES + value.length;
  if (typeof value === "number") return ATTRIBUTE_BYTES + NUMBER_BYTES;
  if (typeof value !== "object" || !Array.isArray(value)) return ATTRIBUTE_BYTES;
  let bytes = ATTRIBUTE_BYTES + ARRAY_BYTES + 8 * value.length;
  for (const item of value) if (typeof item === "string") bytes += STRING_BYTES + item.length;
  return bytes;
}

function attributesBytes(attributes: Attributes | undefined): number {
  let bytes = 0;
  for (const key in attributes) bytes += attributeBytes(attributes[key]);
  return bytes;
}

/** Estimated heap of a span's events and links (most spans have none: two length reads). */
export function extrasBytes(span: ReadableSpan): number {
  let bytes = 0;
  const events = span.events;
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as TimedEvent;
    bytes += EVENT_BYTES + event.name.length + attributesBytes(event.attributes);
  }
  const links = span.links;
  for (let index = 0; index < links.length; index++) bytes += LINK_BYTES + attributesBytes((links[index] as Link).attributes);
  return bytes;
}

/** Estimated heap a buffered span holds, given the estimate of its attributes (see {@link attributeBytes}). */
export function recordBytes(span: ReadableSpan, attributesEstimate: number): number {
  return RECORD_BYTES + attributesEstimate + extrasBytes(span);
}

/** Estimated heap a buffered span holds: the record plus its attribute values, events and links. */
export function estimateSpanBytes(span: ReadableSpan): number {
  return recordBytes(span, attributesBytes(span.attributes));
}

/**
 * Seconds are held relative to this (November 2023), so that they stay small integers, which V8 keeps in the object
 * itself on every build (pointer-compressed builds box integers over 2^30 into a separate heap number).
 */
const SECONDS_BASE = 1_700_000_000;

/** A span's start and end as plain numbers: seconds relative to {@link SECONDS_BASE}, and nanoseconds. */
export interface SpanTimes {
  readonly startSeconds: number;
  readonly startNanos: number;
  readonly endSeconds: number;
  readonly endNanos: number;
}

/** The HrTime of relative seconds and nanoseconds. */
export function hrTimeOf(seconds: number, nanos: number): HrTime {
  return [seconds + SECONDS_BASE, nanos];
}

/**
 * A buffered span: what an exporter reads, nothing else, and itself the {@link ReadableSpan} the exporter gets (no
 * second object when the trace is kept). The SDK's attributes, events and links are shared, not copied: the SDK
 * leaves them alone once the span has ended. Its start and end time pairs are copied into four small integers
 * instead (128 B less per span: the pairs are arrays, and die young with the SDK's span); `startTime`, `endTime`
 * and `duration` build pairs when an exporter reads them.
 */
export class SpanRecord implements ReadableSpan, SpanTimes {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startSeconds: number;
  readonly startNanos: number;
  readonly endSeconds: number;
  readonly endNanos: number;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly events: TimedEvent[];
  readonly links: Link[];
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  /** Estimated heap bytes the record holds (see {@link recordBytes}). */
  readonly bytes: number;
  private readonly context: SpanContext;
  /** Dropped attributes, events, links. */
  private readonly dropped: readonly [number, number, number];

  constructor(span: ReadableSpan, bytes: number, attributes: Attributes = span.attributes) {
    const status = span.status;
    const droppedAttributes = span.droppedAttributesCount;
    const droppedEvents = span.droppedEventsCount;
    const droppedLinks = span.droppedLinksCount;
    this.name = span.name;
    this.kind = span.kind;
    this.context = span.spanContext();
    this.parentSpanContext = span.parentSpanContext;
    const start = span.startTime;
    const end = span.endTime;
    this.startSeconds = start[0] - SECONDS_BASE;
    this.startNanos = start[1];
    this.endSeconds = end[0] - SECONDS_BASE;
    this.endNanos = end[1];
    this.status = status.code === SpanStatusCode.UNSET && status.message === undefined ? UNSET_STATUS : status;
    this.attributes = attributes;
    this.events = span.events.length === 0 ? NO_EVENTS : span.events;
    this.links = span.links.length === 0 ? NO_LINKS : span.links;
    this.resource = span.resource;
    this.instrumentationScope = span.instrumentationScope;
    this.dropped = droppedAttributes + droppedEvents + droppedLinks === 0 ? NO_DROPS : [droppedAttributes, droppedEvents, droppedLinks];
    this.bytes = bytes;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get startTime(): HrTime {
    return hrTimeOf(this.startSeconds, this.startNanos);
  }

  get endTime(): HrTime {
    return hrTimeOf(this.endSeconds, this.endNanos);
  }

  get duration(): HrTime {
    let seconds = this.endSeconds - this.startSeconds;
    let nanos = this.endNanos - this.startNanos;
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
    return [seconds, nanos];
  }

  get ended(): boolean {
    return true;
  }

  get droppedAttributesCount(): number {
    return this.dropped[0];
  }

  get droppedEventsCount(): number {
    return this.dropped[1];
  }

  get droppedLinksCount(): number {
    return this.dropped[2];
  }

  /** The same span with attributes added (e.g. `telltale.sampling.reasons` on a kept trace's root). */
  withAttributes(extra: Attributes): SpanRecord {
    return new SpanRecord(this, this.bytes, { ...this.attributes, ...extra });
  }
}

/** The compact record of a finished span, with its byte estimate. */
export function recordSpan(span: ReadableSpan): SpanRecord {
  return new SpanRecord(span, estimateSpanBytes(span));
}

/** True for a trace's local root: no parent, or a parent in another process. */
export function isLocalRoot(parent: SpanContext | undefined): boolean {
  return parent === undefined || parent.isRemote === true;
}
