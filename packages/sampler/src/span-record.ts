/**
 * The compact form a finished span takes while the sampler holds it. The SDK's span object carries its processor,
 * limits, clock offsets and a duration array that nobody reads after it ends; holding only what an exporter reads
 * (and sharing the common status object) about halves the heap a buffered span costs. An exporter gets a
 * {@link ReadableSpan} rebuilt from the record when the trace is kept.
 *
 * Each record also carries an estimate of the heap it holds, which is what the buffer and export queue budgets
 * count.
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

/** A buffered span: what an exporter reads, nothing else. */
export interface SpanRecord {
  readonly name: string;
  readonly kind: SpanKind;
  readonly context: SpanContext;
  readonly parent: SpanContext | undefined;
  /** The span's own start and end pairs (shared, not copied: no allocation on the hot path). */
  readonly start: HrTime;
  readonly end: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly events: TimedEvent[];
  readonly links: Link[];
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Dropped attributes, events, links. */
  readonly dropped: readonly [number, number, number];
  /** Estimated heap bytes the record holds (see {@link estimateSpanBytes}). */
  readonly bytes: number;
}

/** The record, the span context and its ids, the times array: measured ~330 B of heap for a span without
 * attributes (bench/src/sampler-memory-probe.cjs). */
const RECORD_BYTES = 330;
/** One attribute slot (the key string is shared with the instrumentation that wrote it). */
const ATTRIBUTE_BYTES = 16;
/** An event: the object, its time array, its attributes object. */
const EVENT_BYTES = 120;
const LINK_BYTES = 100;

function valueBytes(value: unknown): number {
  switch (typeof value) {
    case "string":
      return 16 + value.length;
    case "number":
      return 12;
    case "boolean":
      return 0;
    default:
      if (Array.isArray(value)) {
        let bytes = 16 + 8 * value.length;
        for (const item of value) if (typeof item === "string") bytes += 16 + item.length;
        return bytes;
      }
      return 0;
  }
}

function attributesBytes(attributes: Attributes | undefined): number {
  let bytes = 0;
  for (const key in attributes) bytes += ATTRIBUTE_BYTES + valueBytes(attributes[key]);
  return bytes;
}

/** Estimated heap a buffered span holds: the record plus its attribute values, events and links (message content
 * captured into attributes is counted by its length). */
export function estimateSpanBytes(span: ReadableSpan): number {
  let bytes = RECORD_BYTES + attributesBytes(span.attributes);
  const events = span.events;
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as TimedEvent;
    bytes += EVENT_BYTES + event.name.length + attributesBytes(event.attributes);
  }
  const links = span.links;
  for (let index = 0; index < links.length; index++) bytes += LINK_BYTES + attributesBytes((links[index] as Link).attributes);
  return bytes;
}

/** The compact record of a finished span. */
export function recordSpan(span: ReadableSpan): SpanRecord {
  const status = span.status;
  const droppedAttributes = span.droppedAttributesCount;
  const droppedEvents = span.droppedEventsCount;
  const droppedLinks = span.droppedLinksCount;
  return {
    name: span.name,
    kind: span.kind,
    context: span.spanContext(),
    parent: span.parentSpanContext,
    start: span.startTime,
    end: span.endTime,
    status: status.code === SpanStatusCode.UNSET && status.message === undefined ? UNSET_STATUS : status,
    attributes: span.attributes,
    events: span.events.length === 0 ? NO_EVENTS : span.events,
    links: span.links.length === 0 ? NO_LINKS : span.links,
    resource: span.resource,
    scope: span.instrumentationScope,
    dropped: droppedAttributes + droppedEvents + droppedLinks === 0 ? NO_DROPS : [droppedAttributes, droppedEvents, droppedLinks],
    bytes: estimateSpanBytes(span),
  };
}

/** The same record with attributes added (e.g. `telltale.sampling.reasons` on a kept trace's root). */
export function withAttributes(record: SpanRecord, extra: Attributes): SpanRecord {
  return { ...record, attributes: { ...record.attributes, ...extra } };
}

/** The span a record stands for, as exporters read it. */
export class RecordedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[];
  readonly duration: HrTime;
  readonly ended = true;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  private readonly context: SpanContext;

  constructor(record: SpanRecord) {
    const [startSeconds, startNanos] = record.start;
    const [endSeconds, endNanos] = record.end;
    this.name = record.name;
    this.kind = record.kind;
    this.context = record.context;
    this.parentSpanContext = record.parent;
    this.startTime = record.start;
    this.endTime = record.end;
    let seconds = endSeconds - startSeconds;
    let nanos = endNanos - startNanos;
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
    this.duration = [seconds, nanos];
    this.status = record.status;
    this.attributes = record.attributes;
    this.links = record.links;
    this.events = record.events;
    this.resource = record.resource;
    this.instrumentationScope = record.scope;
    [this.droppedAttributesCount, this.droppedEventsCount, this.droppedLinksCount] = record.dropped;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/** True for a trace's local root: no parent, or a parent in another process. */
export function isLocalRoot(parent: SpanContext | undefined): boolean {
  return parent === undefined || parent.isRemote === true;
}
