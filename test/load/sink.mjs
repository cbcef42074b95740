// The load test's trace backend, in a process of its own so its work does not slow the generator: an OTLP/gRPC
// trace receiver (HTTP/2 without TLS, the wire format of the collector's `otlp_grpc` exporter) that counts the spans
// of every trace id it receives and which sampling collector sent them (the `x-telltale-sender` header each one's
// exporter is given), and an OTLP/HTTP endpoint that accepts metrics and drops them.
// Started with child_process.fork; answers {type: "ready", tracesPort, metricsPort}, and on {type: "report"}
// sends {type: "report", traces: [[traceId, spanCount, senders], ...], requests, spans}.
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import { gunzipSync } from "node:zlib";

const traces = new Map(); // trace id (hex) -> { spans, senders: Set }
let requests = 0;
let spans = 0;

function readVarint(buffer, state) {
  let result = 0;
  let multiplier = 1;
  for (;;) {
    const byte = buffer[state.offset++];
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return result;
    multiplier *= 128;
  }
}

/** Calls `onField(field, wireType, start, end)` for each field of the message in buffer[start, end). */
function eachField(buffer, start, end, onField) {
  const state = { offset: start };
  while (state.offset < end) {
    const key = readVarint(buffer, state);
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) {
      readVarint(buffer, state);
    } else if (wireType === 1) {
      state.offset += 8;
    } else if (wireType === 5) {
      state.offset += 4;
    } else if (wireType === 2) {
      const length = readVarint(buffer, state);
      onField(field, state.offset, state.offset + length);
      state.offset += length;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

function countSpans(message, sender) {
  // ExportTraceServiceRequest.resource_spans(1) -> ResourceSpans.scope_spans(2) -> ScopeSpans.spans(2) -> Span.trace_id(1)
  eachField(message, 0, message.length, (field, start, end) => {
    if (field !== 1) return;
    eachField(message, start, end, (resourceField, scopeStart, scopeEnd) => {
      if (resourceField !== 2) return;
      eachField(message, scopeStart, scopeEnd, (scopeField, spanStart, spanEnd) => {
        if (scopeField !== 2) return;
        eachField(message, spanStart, spanEnd, (spanField, idStart, idEnd) => {
          if (spanField !== 1) return;
          const traceId = message.toString("hex", idStart, idEnd);
          const entry = traces.get(traceId) ?? { spans: 0, senders: new Set() };
          entry.spans += 1;
          entry.senders.add(sender);
          traces.set(traceId, entry);
          spans += 1;
        });
      });
    });
  });
}

const grpc = createHttp2Server();
grpc.on("stream", (stream, headers) => {
  const chunks = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    let offset = 0;
    try {
      while (offset + 5 <= body.length) {
        const compressed = body[offset] === 1;
        const length = body.readUInt32BE(offset + 1);
        const payload = body.subarray(offset + 5, offset + 5 + length);
        offset += 5 + length;
        countSpans(compressed ? gunzipSync(payload) : payload, String(headers["x-telltale-sender"] ?? ""));
      }
      requests += 1;
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    } catch (error) {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "13", "grpc-message": String(error) }));
      stream.end();
    }
  });
});

const metrics = createHttpServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/x-protobuf" });
    response.end();
  });
});

const listen = (server) => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
const [tracesPort, metricsPort] = await Promise.all([listen(grpc), listen(metrics)]);
process.send({ type: "ready", tracesPort, metricsPort });
process.on("message", (message) => {
  if (message?.type !== "report") return;
  process.send({
    type: "report",
    requests,
    spans,
    traces: [...traces].map(([traceId, entry]) => [traceId, entry.spans, [...entry.senders]]),
  });
});
process.on("disconnect", () => process.exit(0));
