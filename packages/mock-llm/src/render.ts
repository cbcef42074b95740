/** An answer in the wire form of the request's route: its JSON body and its event stream. */
import { planAnswer, type PlannedAnswer, type RequestInfo } from "./answer.js";
import {
  MESSAGE_TERMINAL_EVENTS,
  errorPayloadJson,
  messageEvents,
  messageJson,
  messageStreamErrorEvents,
} from "./anthropic.js";
import { openaiErrorObject } from "./errors.js";
import { generateId } from "./generate.js";
import {
  RESPONSES_TERMINAL_EVENTS,
  chatCompletionEvents,
  chatCompletionJson,
  chatStreamErrorEvents,
  chatTerminalEventCount,
  embeddingsJson,
  responsesEvents,
  responsesFailedEvents,
  responsesFailedJson,
  responsesIds,
  responsesJson,
} from "./openai.js";
import type { SseEvent } from "./sse.js";
import type { ErrorPreset, FaultStep, Provider } from "./types.js";

export interface Rendering {
  answer: PlannedAnswer;
  json(): unknown;
  /** The whole stream, its terminal events included. */
  events(): SseEvent[];
  /**
   * How many of the last `events()` finish the stream (chat: the finish_reason chunk, the usage chunk and `[DONE]`;
   * Responses: `response.completed` / `.incomplete`; Anthropic: `message_delta` and `message_stop`). A stream that
   * ends without them ended before the answer was complete.
   */
  terminalEvents: number;
}

/** Renders `step` for the request; ids stay the same between the JSON and stream renderings. */
export function render(info: RequestInfo, provider: Provider, step: FaultStep): Rendering {
  const random = info.idRandom;
  const toolPrefix = provider === "anthropic" ? "toolu_01" : "call_";
  const answer = planAnswer(step, info, () => generateId(toolPrefix, random, 22));
  if (info.route === "messages") {
    const id = generateId("msg_01", random, 22);
    return {
      answer,
      json: () => messageJson(answer, info, id),
      events: () => messageEvents(answer, info, id),
      terminalEvents: MESSAGE_TERMINAL_EVENTS,
    };
  }
  if (info.route === "responses") {
    const ids = responsesIds(answer, random);
    return {
      answer,
      json: () => responsesJson(answer, info, ids),
      events: () => responsesEvents(answer, info, ids),
      terminalEvents: RESPONSES_TERMINAL_EVENTS,
    };
  }
  if (info.route === "embeddings") return { answer, json: () => embeddingsJson(info), events: () => [], terminalEvents: 0 };
  const id = generateId("chatcmpl-", random, 29);
  return {
    answer,
    json: () => chatCompletionJson(answer, info, id),
    events: () => chatCompletionEvents(answer, info, id),
    terminalEvents: chatTerminalEventCount(info),
  };
}

/** The events of a normal answer that come before its terminal ones, at most `count` of them. */
export function eventsBeforeTheEnd(rendering: Rendering, count: number): SseEvent[] {
  const events = rendering.events();
  return events.slice(0, Math.min(count, events.length - rendering.terminalEvents));
}

/** A 200 that carries an error: the JSON body, or the stream events that replace the stream's end. */
export function errorPayload(
  info: RequestInfo,
  requestId: string,
  preset: ErrorPreset,
  message: string | undefined,
  eventsSent: number,
): { json: unknown; events: SseEvent[] } {
  if (info.route === "messages") {
    return { json: errorPayloadJson(preset, message, requestId), events: messageStreamErrorEvents(preset, message) };
  }
  if (info.route === "responses") {
    const ids = responsesIds(planAnswer({ kind: "empty" }, info, () => ""), info.idRandom);
    return {
      json: responsesFailedJson(info, ids, preset, message),
      events: responsesFailedEvents(info, ids, preset, message, eventsSent),
    };
  }
  return { json: { error: openaiErrorObject(preset, info.model, message) }, events: chatStreamErrorEvents(preset, info, message) };
}
