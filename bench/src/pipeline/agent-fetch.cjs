"use strict";
// The `fetch` the pipeline agent's `openai` client calls: it answers from memory, in the Chat Completions wire format,
// so the network and the provider's server cost nothing here, while the SDK still builds each request, parses each
// body (JSON or SSE) and runs its retries. A fault is asked for by a marker in the request's last message,
// `[fault:NAME]` (see FAULTS in agent.cjs); every other request gets a healthy answer.

const RESPONSE_MODEL = "gpt-4o-mini-2024-07-18";
const ANSWER_CHUNKS = 20;

const encoder = new TextEncoder();
const json = (value) => encoder.encode(JSON.stringify(value));

function completion(message, finishReason, usage = { prompt_tokens: 160, completion_tokens: 48, total_tokens: 208 }) {
  return json({
    id: "chatcmpl-agent",
    object: "chat.completion",
    created: 1_700_000_000,
    model: RESPONSE_MODEL,
    system_fingerprint: "fp_agent",
    choices: [{ index: 0, message: { role: "assistant", refusal: null, ...message }, logprobs: null, finish_reason: finishReason }],
    usage,
  });
}

const PLAN = "1. Search the runbooks for the error. 2. Search recent incidents with the same service. 3. Summarise the likely cause and the fix.";
const SUMMARY = "The checkout service times out on the payment provider after the pool was shrunk; restore the pool size and add a retry budget.";

/** 19 content chunks (the last with finish_reason), then the `include_usage` chunk: ANSWER_CHUNKS events, [DONE]. */
function answerStream() {
  const base = { id: "chatcmpl-agent", object: "chat.completion.chunk", created: 1_700_000_000, model: RESPONSE_MODEL, system_fingerprint: "fp_agent" };
  const words = SUMMARY.split(" ");
  const events = [];
  for (let index = 0; index < ANSWER_CHUNKS - 1; index++) {
    const delta = index === 0 ? { role: "assistant", content: words[0] } : { content: ` ${words[index % words.length]}` };
    events.push({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: index === ANSWER_CHUNKS - 2 ? "stop" : null }] });
  }
  events.push({ ...base, choices: [], usage: { prompt_tokens: 220, completion_tokens: ANSWER_CHUNKS - 1, total_tokens: 220 + ANSWER_CHUNKS - 1 } });
  return encoder.encode(events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("") + "data: [DONE]\n\n");
}

const BODIES = {
  plan: completion({ content: PLAN }, "stop"),
  summary: completion({ content: SUMMARY }, "stop"),
  answer: answerStream(),
  truncated: completion({ content: PLAN.slice(0, 40) }, "length", { prompt_tokens: 160, completion_tokens: 12, total_tokens: 172 }),
  refusal: completion({ content: null, refusal: "I can't help with that." }, "stop"),
  rateLimit: json({ error: { message: "Rate limit reached for gpt-4o-mini on requests per min.", type: "requests", param: null, code: "rate_limit_exceeded" } }),
  contextLength: json({
    error: {
      message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  }),
};

const JSON_HEADERS = { "content-type": "application/json", "x-request-id": "req_agent" };
const SSE_HEADERS = { "content-type": "text/event-stream", "x-request-id": "req_agent" };
// retry-after-ms: the SDK waits that long instead of its own backoff (half a second and more).
const RATE_LIMIT_HEADERS = { ...JSON_HEADERS, "retry-after-ms": "1", "x-ratelimit-remaining-requests": "0" };

/** The `[fault:NAME]` marker of the request body, or undefined: one substring search on the JSON the SDK built. */
function faultOf(body) {
  const at = body.indexOf("[fault:");
  return at === -1 ? undefined : body.slice(at + 7, body.indexOf("]", at));
}

function retryCountOf(headers) {
  const value = typeof headers?.get === "function" ? headers.get("x-stainless-retry-count") : headers?.["x-stainless-retry-count"];
  return Number(value ?? 0);
}

const respond = (bytes, status = 200, headers = JSON_HEADERS) => new Response(bytes, { status, headers });

async function agentFetch(_url, init) {
  const body = typeof init?.body === "string" ? init.body : "";
  if (body.includes('"stream":true')) return respond(BODIES.answer, 200, SSE_HEADERS);
  const step = body.includes("[step:plan]") ? "plan" : "summary";
  switch (faultOf(body)) {
    case "rate_limit":
      // Refused once, then answered: the SDK retries inside the one call.
      return retryCountOf(init.headers) === 0 ? respond(BODIES.rateLimit, 429, RATE_LIMIT_HEADERS) : respond(BODIES[step]);
    case "context_length":
      return respond(BODIES.contextLength, 400);
    case "truncated":
      return respond(BODIES.truncated);
    case "refusal":
      return respond(BODIES.refusal);
    default:
      return respond(BODIES[step]);
  }
}

module.exports = { agentFetch, ANSWER_CHUNKS, PLAN };
