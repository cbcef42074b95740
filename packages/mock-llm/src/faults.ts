/** How each kind of step is answered on the wire. */
import { errorPayload, eventsBeforeTheEnd, render } from "./render.js";
import type { SseEvent } from "./sse.js";
import type { ErrorPayloadStep, FaultStep, HangStep, StreamCutStep, StreamIncompleteStep, StreamResetStep } from "./types.js";
import type { Exchange } from "./wire.js";

/** SSE events sent before a cut, a hang's stall or an error event, unless the step says otherwise. */
const DEFAULT_EVENTS_BEFORE_FAULT = 2;

/** Answers one request with `step`, after the step's delay. */
export async function respond(exchange: Exchange, step: FaultStep): Promise<void> {
  const waitMs = (step.delayMs ?? 0) + (step.kind === "latency" ? step.ms : 0);
  if (!(await exchange.wait(waitMs))) return;
  const { info } = exchange;
  // Embeddings never stream; the answer-shaped faults (refusal, tool calls…) have no meaning there.
  const streaming = info.stream && info.route !== "embeddings";
  switch (step.kind) {
    case "error":
      exchange.sendError(step);
      return;
    case "hang":
      return hang(exchange, step, streaming);
    case "malformed_json":
      return malformedJson(exchange, step, streaming);
    case "error_payload":
      return errorInside(exchange, step, streaming);
    case "stream_cut":
      return cut(exchange, step, streaming);
    case "stream_incomplete":
      return endEarly(exchange, step, streaming);
    case "stream_reset":
      return resetMidway(exchange, step, streaming);
    default:
      return answer(exchange, step, streaming);
  }
}

async function answer(exchange: Exchange, step: FaultStep, streaming: boolean): Promise<void> {
  const rendering = render(exchange.info, exchange.provider, step);
  if (!streaming) return exchange.sendJson(rendering.json(), step.headers);
  exchange.openStream(step.headers);
  if (await exchange.writeEvents(rendering.events(), step.chunkDelayMs ?? 0)) exchange.end();
}

async function hang(exchange: Exchange, step: HangStep, streaming: boolean): Promise<void> {
  if (streaming && (step.afterChunks ?? 0) > 0) {
    exchange.openStream(step.headers);
    const events = render(exchange.info, exchange.provider, { kind: "ok" }).events().slice(0, step.afterChunks);
    await exchange.writeEvents(events, step.chunkDelayMs ?? 0);
  } else if (!streaming && step.bodyStall === true) {
    exchange.openStalledBody(step.headers);
  }
  // Nothing more is sent: the exchange ends when the client aborts or close() destroys the socket.
}

async function malformedJson(exchange: Exchange, step: FaultStep, streaming: boolean): Promise<void> {
  const rendering = render(exchange.info, exchange.provider, { kind: "ok" });
  if (!streaming) return exchange.sendHalfJson(JSON.stringify(rendering.json()), step.headers);
  const first = rendering.events()[0];
  const broken: SseEvent = { data: '{"id": "broken", "choices": [' };
  if (first?.event !== undefined) broken.event = first.event;
  exchange.openStream(step.headers);
  if (await exchange.writeEvents(first === undefined ? [broken] : [first, broken], step.chunkDelayMs ?? 0)) exchange.end();
}

async function errorInside(exchange: Exchange, step: ErrorPayloadStep, streaming: boolean): Promise<void> {
  const preset = step.error ?? (exchange.provider === "anthropic" ? "overloaded" : "server_error");
  const sent = step.afterChunks ?? DEFAULT_EVENTS_BEFORE_FAULT;
  const payload = errorPayload(exchange.info, exchange.requestId, preset, step.message, streaming ? sent : 0);
  if (!streaming) return exchange.sendJson(payload.json, step.headers);
  const events = render(exchange.info, exchange.provider, { kind: "ok" }).events().slice(0, sent);
  exchange.openStream(step.headers);
  if (await exchange.writeEvents([...events, ...payload.events], step.chunkDelayMs ?? 0)) exchange.end();
}

/** The connection drops: after N events, or half-way through a JSON body that announced its full length. */
async function cut(exchange: Exchange, step: StreamCutStep, streaming: boolean): Promise<void> {
  const rendering = render(exchange.info, exchange.provider, { kind: "ok" });
  if (streaming) {
    exchange.openStream(step.headers);
    await exchange.writeEvents(rendering.events().slice(0, step.afterChunks ?? DEFAULT_EVENTS_BEFORE_FAULT), step.chunkDelayMs ?? 0);
  } else {
    exchange.startTruncatedJson(JSON.stringify(rendering.json()), step.headers);
  }
  exchange.closeMidBody();
}

/** The response ends properly, but before the stream's terminal events: nothing on the wire says it was cut. */
async function endEarly(exchange: Exchange, step: StreamIncompleteStep, streaming: boolean): Promise<void> {
  const rendering = render(exchange.info, exchange.provider, { kind: "ok" });
  if (!streaming) return exchange.sendHalfJson(JSON.stringify(rendering.json()), step.headers);
  exchange.openStream(step.headers);
  const events = eventsBeforeTheEnd(rendering, step.afterChunks ?? DEFAULT_EVENTS_BEFORE_FAULT);
  if (await exchange.writeEvents(events, step.chunkDelayMs ?? 0)) exchange.end();
}

/** The connection is reset (TCP RST) after N events, or half-way through a JSON body. */
async function resetMidway(exchange: Exchange, step: StreamResetStep, streaming: boolean): Promise<void> {
  const rendering = render(exchange.info, exchange.provider, { kind: "ok" });
  if (streaming) {
    exchange.openStream(step.headers);
    const events = eventsBeforeTheEnd(rendering, step.afterChunks ?? DEFAULT_EVENTS_BEFORE_FAULT);
    if (!(await exchange.writeEvents(events, step.chunkDelayMs ?? 0))) return;
  } else {
    exchange.startTruncatedJson(JSON.stringify(rendering.json()), step.headers);
  }
  await exchange.reset();
}
