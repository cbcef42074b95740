"use strict";
// A `fetch` for the SDK's `fetch` option that answers from memory: the network is out of the picture, but the SDK
// still builds the request, parses the body (JSON or SSE) and runs its whole response path, as it does in production.

const MODEL = "gpt-4o-mini";
const RESPONSE_MODEL = "gpt-4o-mini-2024-07-18";
const STREAM_CHUNKS = 50;

const completionBody = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: RESPONSE_MODEL,
  system_fingerprint: "fp_bench",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "The capital of France is Paris.", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 14, completion_tokens: 8, total_tokens: 22 },
});

/** 49 content chunks (the last one carries finish_reason) and the `include_usage` chunk: 50 SSE events, then [DONE]. */
function buildStreamBody() {
  const base = { id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1_700_000_000, model: RESPONSE_MODEL, system_fingerprint: "fp_bench" };
  const events = [];
  const contentChunks = STREAM_CHUNKS - 1;
  for (let index = 0; index < contentChunks; index++) {
    const delta = index === 0 ? { role: "assistant", content: "Paris" } : { content: ` w${index}` };
    const finishReason = index === contentChunks - 1 ? "stop" : null;
    events.push({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  }
  events.push({ ...base, choices: [], usage: { prompt_tokens: 14, completion_tokens: contentChunks, total_tokens: 14 + contentChunks } });
  return events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("") + "data: [DONE]\n\n";
}

const encoder = new TextEncoder();
const completionBytes = encoder.encode(completionBody);
const streamBytes = encoder.encode(buildStreamBody());

const jsonHeaders = { "content-type": "application/json", "x-request-id": "req_bench" };
const sseHeaders = { "content-type": "text/event-stream", "x-request-id": "req_bench" };

/** Reads `stream` from the request body without parsing the whole JSON twice over: the SDK sends compact JSON. */
function wantsStream(init) {
  const body = init && typeof init.body === "string" ? init.body : "";
  return body.includes('"stream":true');
}

async function cannedFetch(_url, init) {
  if (wantsStream(init)) return new Response(streamBytes, { status: 200, headers: sseHeaders });
  return new Response(completionBytes, { status: 200, headers: jsonHeaders });
}

module.exports = { cannedFetch, MODEL, RESPONSE_MODEL, STREAM_CHUNKS };
