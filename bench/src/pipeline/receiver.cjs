"use strict";
// The pipeline benchmark's OTLP/HTTP receiver, in a process of its own so that its CPU is not charged to any line.
// Every line exports to http://127.0.0.1:PORT/<key> (the SDKs append /v1/traces); the receiver counts, per key, the
// requests, the bytes of their bodies as sent (compressed if they were), the spans, and the spans of each trace.
//   POST /<key>/v1/traces | /v1/metrics | /v1/logs    an export: answered 200 with an empty OTLP response
//   POST /_report/<key>  { failures: [fault, traceId, spans][], healthy: [traceId, spans][] }
//                        → what arrived for <key>, and which of those traces arrived whole; then <key> is forgotten
// stdout: {"port":N} once listening.

const http = require("node:http");
const { gunzipSync } = require("node:zlib");
const { spansOfJson, spansOfProtobuf } = require("./otlp-spans.cjs");

const received = new Map();

function receivedFor(key) {
  let entry = received.get(key);
  if (!entry) {
    entry = { signals: {}, spans: 0, traces: new Map() };
    received.set(key, entry);
  }
  return entry;
}

function recordExport(key, signal, request, body) {
  const entry = receivedFor(key);
  const counts = (entry.signals[signal] ??= { requests: 0, bytes: 0 });
  counts.requests += 1;
  counts.bytes += body.length;
  if (signal !== "traces") return;
  const plain = request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
  const spans = String(request.headers["content-type"]).includes("json") ? spansOfJson(plain.toString("utf8")) : spansOfProtobuf(plain);
  entry.spans += spans.length;
  for (const span of spans) {
    const trace = entry.traces.get(span.traceId) ?? { spans: 0, roots: 0 };
    trace.spans += 1;
    if (span.parentSpanId === "") trace.roots += 1;
    entry.traces.set(span.traceId, trace);
  }
}

/** Complete: exactly the spans expected arrived, one of them the root. */
function check(entry, traceId, expected) {
  const trace = entry?.traces.get(traceId);
  if (!trace) return "missing";
  return trace.spans === expected && trace.roots === 1 ? "complete" : "incomplete";
}

/** "7 of 9 spans" for a trace that arrived incomplete. */
function describeArrival(entry, traceId, expected) {
  const trace = entry?.traces.get(traceId);
  return `${trace?.spans ?? 0} of ${expected} spans${trace?.roots === 1 ? "" : `, ${trace?.roots ?? 0} roots`}`;
}

function report(key, expected) {
  const entry = received.get(key);
  received.delete(key);
  const failures = { complete: 0, incomplete: 0, missing: 0, byFault: {} };
  for (const [fault, traceId, spans] of expected.failures ?? []) {
    const outcome = check(entry, traceId, spans);
    failures[outcome] += 1;
    const byFault = (failures.byFault[fault] ??= { complete: 0, incomplete: 0, missing: 0 });
    byFault[outcome] += 1;
    // What an incomplete one held, the first time: the reader sees which span never came.
    if (outcome === "incomplete") byFault.arrived ??= describeArrival(entry, traceId, spans);
  }
  const healthy = { complete: 0, incomplete: 0, missing: 0 };
  for (const [traceId, spans] of expected.healthy ?? []) healthy[check(entry, traceId, spans)] += 1;
  return { signals: entry?.signals ?? {}, spans: entry?.spans ?? 0, traces: entry?.traces.size ?? 0, failures, healthy };
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const reportMatch = /^\/_report\/([^/]+)$/.exec(request.url ?? "");
    if (reportMatch) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(report(reportMatch[1], JSON.parse(body.toString("utf8")))));
      return;
    }
    const exportMatch = /^\/([^/]+)\/v1\/(traces|metrics|logs)$/.exec(request.url ?? "");
    if (request.method !== "POST" || !exportMatch) {
      response.writeHead(404).end();
      return;
    }
    try {
      recordExport(exportMatch[1], exportMatch[2], request, body);
    } catch (error) {
      process.stderr.write(`receiver: ${error.stack}\n`);
      response.writeHead(400).end();
      return;
    }
    const json = String(request.headers["content-type"]).includes("json");
    response.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
    response.end(json ? "{}" : "");
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on("SIGTERM", () => process.exit(0));
