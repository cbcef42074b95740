/** An answer in the wire form of the request's route: its JSON body and its event stream. */
import { planAnswer, type PlannedAnswer, type RequestInfo } from "./answer.js";
import {
  errorPayloadJson,
  messageEvents,
  messageJson,
  messageStreamErrorEvents,
} from "./anthropic.js";
import { openaiErrorObject } from "./errors.js";
import { generateId } from "./generate.js";
import {
  chatCompletionEvents,
  chatCompletionJson,
  chatStreamErrorEvents,
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
  events(): SseEvent[];
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
    };
  }
  if (info.route === "responses") {
    const ids = responsesIds(answer, random);
    return {
      answer,
      json: () => responsesJson(answer, info, ids),
      events: () => responsesEvents(answer, info, ids),
    };
  }
  if (info.route === "embeddings") return { answer, json: () => embeddingsJson(info), events: () => [] };
  const id = generateId("chatcmpl-", random, 29);
  return {
    answer,
    json: () => chatCompletionJson(answer, info, id),
    events: () => chatCompletionEvents(answer, info, id),
  };
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
