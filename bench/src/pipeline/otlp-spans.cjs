"use strict";
// The trace id and parent span id of every span in an OTLP trace export request, protobuf or JSON: all the pipeline
// benchmark's receiver needs to tell which traces arrived whole. The protobuf walk reads only the fields on the way
// to a span (ExportTraceServiceRequest.resource_spans = 1, ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2,
// Span.trace_id = 1, Span.parent_span_id = 4) and skips the rest by wire type.

function readVarint(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error("OTLP protobuf: truncated varint");
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** Calls `onField(field, start, end)` for each length-delimited field of the message in bytes[from, to). */
function eachLengthDelimited(bytes, from, to, onField) {
  let at = from;
  while (at < to) {
    let key;
    [key, at] = readVarint(bytes, at);
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        [, at] = readVarint(bytes, at);
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        let length;
        [length, at] = readVarint(bytes, at);
        onField(field, at, at + length);
        at += length;
        break;
      }
      default:
        throw new Error(`OTLP protobuf: wire type ${key & 7} not expected`);
    }
  }
}

/** [{ traceId, parentSpanId }] (hex, "" for a root) of a protobuf ExportTraceServiceRequest. */
function spansOfProtobuf(bytes) {
  const spans = [];
  const hex = (start, end) => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("hex");
  eachLengthDelimited(bytes, 0, bytes.length, (field, start, end) => {
    if (field !== 1) return;
    eachLengthDelimited(bytes, start, end, (field, start, end) => {
      if (field !== 2) return;
      eachLengthDelimited(bytes, start, end, (field, start, end) => {
        if (field !== 2) return;
        const span = { traceId: "", parentSpanId: "" };
        eachLengthDelimited(bytes, start, end, (field, start, end) => {
          if (field === 1) span.traceId = hex(start, end);
          else if (field === 4) span.parentSpanId = hex(start, end);
        });
        spans.push(span);
      });
    });
  });
  return spans;
}

/** The same for an OTLP/JSON request (ids as hex strings). */
function spansOfJson(text) {
  const spans = [];
  for (const resourceSpans of JSON.parse(text).resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) spans.push({ traceId: span.traceId ?? "", parentSpanId: span.parentSpanId ?? "" });
    }
  }
  return spans;
}

module.exports = { spansOfProtobuf, spansOfJson };
