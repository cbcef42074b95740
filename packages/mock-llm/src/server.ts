import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { describeRequest, planAnswer, type PlannedAnswer, type RequestInfo } from "./answer.js";
import { errorPayloadJson, messageEvents, messageJson, messageStreamErrorEvents } from "./anthropic.js";
import { errorResponse, lowerCaseKeys, openaiErrorObject } from "./errors.js";
import { createRandom, generateId, hashString } from "./generate.js";
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
import { BUILT_IN_SCENARIOS, parseFaultScript } from "./script.js";
import { formatSseEvent, type SseEvent } from "./sse.js";
import type { ErrorPreset, FaultScript, FaultStep, MockLlmOptions, Provider, RecordedRequest, RouteName } from "./types.js";

/** A running mock server. */
export interface MockLlm {
  /** `http://127.0.0.1:PORT`. OpenAI `baseURL` is `${url}/v1`; Anthropic `baseURL` is `url`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Steps for the next requests (before `routes` and `sequence`; scenario markers still win). */
  enqueue(...steps: FaultStep[]): void;
  /** Replaces the script and rewinds every sequence. */
  setScript(script: FaultScript): void;
  /** Forgets requests, enqueued steps and attempt counters; rewinds the current script. */
  reset(): void;
  /** Resolves once at least `count` requests have arrived (e.g. to abort a hung request at the right time). */
  waitForRequests(count: number): Promise<void>;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
}

const REDACTED_HEADERS = new Set(["authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"]);
const SCENARIO_HEADER = "x-mock-scenario";
const SCENARIO_MARKER = /\[scenario:([A-Za-z0-9_.:#-]+)\]/;

function routeFor(method: string | undefined, pathname: string): RouteName | undefined {
  if (method !== "POST") return undefined;
  // Accept the path with or without the /v1 prefix, so either base URL style works.
  const path = pathname.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
  switch (path) {
    case "/chat/completions":
      return "chat.completions";
    case "/responses":
      return "responses";
    case "/embeddings":
      return "embeddings";
    case "/messages":
      return "messages";
    default:
      return undefined;
  }
}

function providerFor(route: RouteName | undefined, pathname: string): Provider {
  if (route === "messages" || (route === undefined && pathname.includes("/messages"))) return "anthropic";
  return "openai";
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function recordHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || REDACTED_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

interface Exchange {
  response: ServerResponse;
  provider: Provider;
  info: RequestInfo;
  requestId: string;
  /** Aborted when the client goes away or the server closes. */
  signal: AbortSignal;
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const seed = options.seed ?? 1;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let script: FaultScript = options.script ? parseFaultScript(options.script) : {};
  let enqueued: FaultStep[] = [];
  const cursors = new Map<string, number>();
  const attempts = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let arrivals = 0;

  function take(list: FaultStep[] | undefined, cursorKey: string, repeat = false): FaultStep | undefined {
    if (!list || list.length === 0) return undefined;
    const cursor = cursors.get(cursorKey) ?? 0;
    if (!repeat && cursor >= list.length) return undefined;
    cursors.set(cursorKey, cursor + 1);
    return list[cursor % list.length];
  }

  function selectStep(route: RouteName, scenario: string | undefined): FaultStep {
    if (scenario !== undefined) {
      // `name#instance` keys share the definition `name` but count their own steps, so concurrent runs don't collide.
      const name = scenario.split("#")[0] ?? scenario;
      const defined = script.scenarios?.[name];
      if (defined) return take(defined, `scenario:${scenario}`) ?? script.fallback ?? { kind: "ok" };
      const builtIn = BUILT_IN_SCENARIOS[name];
      if (builtIn) return take(builtIn.steps, `scenario:${scenario}`, builtIn.repeat) ?? { kind: "ok" };
    }
    const next = enqueued.shift();
    if (next) return next;
    return take(script.routes?.[route], `route:${route}`) ?? take(script.sequence, "sequence") ?? script.fallback ?? { kind: "ok" };
  }

  function scenarioOf(request: IncomingMessage, info: RequestInfo): string | undefined {
    const header = request.headers[SCENARIO_HEADER];
    if (typeof header === "string" && header.length > 0) return header;
    return (SCENARIO_MARKER.exec(info.model) ?? SCENARIO_MARKER.exec(info.promptText))?.[1];
  }

  function notifyWaiters(): void {
    for (let index = waiters.length - 1; index >= 0; index--) {
      const waiter = waiters[index];
      if (waiter && requests.length >= waiter.count) {
        waiters.splice(index, 1);
        waiter.resolve();
      }
    }
  }

  const server = createServer((request, response) => {
    response.on("error", () => {
      // The client went away mid-write; nothing to do, the exchange is over.
    });
    handle(request, response).catch(() => {
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "mock-llm internal error", type: "server_error", param: null, code: null } }));
      } else {
        response.destroy();
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const controller = new AbortController();
    response.on("close", () => controller.abort());
    const url = new URL(request.url ?? "/", "http://mock.invalid");
    const route = routeFor(request.method, url.pathname);
    const provider = providerFor(route, url.pathname);
    const raw = await readBody(request);
    arrivals += 1;
    const index = arrivals;
    const idRandom = createRandom(hashString(`request:${index}`, seed));
    const requestId = generateId("req_", idRandom, 24);

    if (route === undefined) {
      const message = `Unknown request URL: ${request.method ?? "GET"} ${url.pathname}. Please check the URL for typos.`;
      sendErrorJson(response, provider, { kind: "error", error: "not_found", status: 404, message }, "unknown", requestId);
      return;
    }
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      const message = "We could not parse the JSON body of your request.";
      sendErrorJson(response, provider, { kind: "error", error: "invalid_request", message }, "unknown", requestId);
      return;
    }
    const info = describeRequest(route, body as Record<string, unknown>, seed, index, now());
    const scenario = scenarioOf(request, info);
    const step = selectStep(route, scenario);
    const attemptKey = scenario !== undefined ? `scenario:${scenario}` : `route:${route}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    const retryHeader = request.headers["x-stainless-retry-count"];
    requests.push({
      index,
      method: request.method ?? "POST",
      path: url.pathname,
      route,
      headers: recordHeaders(request),
      body,
      stream: info.stream,
      scenario,
      attempt,
      sdkRetryCount: typeof retryHeader === "string" && retryHeader !== "" ? Number(retryHeader) : undefined,
      // A copy: built-in and scripted steps are shared objects that assertions must not be able to change.
      step: structuredClone(step),
    });
    notifyWaiters();
    await respond({ response, provider, info, requestId, signal: controller.signal }, step);
  }

  function sendErrorJson(
    response: ServerResponse,
    provider: Provider,
    step: Extract<FaultStep, { kind: "error" }>,
    model: string,
    requestId: string,
  ): void {
    const error = errorResponse(provider, step, model, requestId, now());
    response.writeHead(error.status, { "content-type": "application/json", ...error.headers });
    response.end(JSON.stringify(error.body));
  }

  async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (ms <= 0) return !signal.aborted;
    try {
      await delay(ms, undefined, { signal });
      return true;
    } catch {
      return false;
    }
  }

  function successHeaders(exchange: Exchange, stream: boolean, extra: Record<string, string> | undefined): Record<string, string> {
    const headers: Record<string, string> = stream
      ? { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }
      : { "content-type": "application/json" };
    if (exchange.provider === "anthropic") headers["request-id"] = exchange.requestId;
    else {
      headers["x-request-id"] = exchange.requestId;
      headers["openai-processing-ms"] = "1";
    }
    return { ...headers, ...lowerCaseKeys(extra) };
  }

  /** The answer and its wire form for the route; `ids` stay stable between the JSON and stream renderings. */
  function render(exchange: Exchange, step: FaultStep): { answer: PlannedAnswer; json: () => unknown; events: () => SseEvent[] } {
    const { info, provider } = exchange;
    const random = info.idRandom;
    const toolPrefix = provider === "anthropic" ? "toolu_01" : "call_";
    const answer = planAnswer(step, info, () => generateId(toolPrefix, random, 22));
    if (info.route === "messages") {
      const id = generateId("msg_01", random, 22);
      return { answer, json: () => messageJson(answer, info, id), events: () => messageEvents(answer, info, id) };
    }
    if (info.route === "responses") {
      const ids = responsesIds(answer, random);
      return { answer, json: () => responsesJson(answer, info, ids), events: () => responsesEvents(answer, info, ids) };
    }
    if (info.route === "embeddings") {
      return { answer, json: () => embeddingsJson(info), events: () => [] };
    }
    const id = generateId("chatcmpl-", random, 29);
    return { answer, json: () => chatCompletionJson(answer, info, id), events: () => chatCompletionEvents(answer, info, id) };
  }

  function errorPayload(exchange: Exchange, preset: ErrorPreset, message: string | undefined, eventsSent: number): {
    json: unknown;
    events: SseEvent[];
  } {
    const { info } = exchange;
    if (info.route === "messages") {
      return { json: errorPayloadJson(preset, message, exchange.requestId), events: messageStreamErrorEvents(preset, message) };
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

  async function writeEvents(exchange: Exchange, events: SseEvent[], chunkDelayMs: number): Promise<boolean> {
    for (const event of events) {
      if (chunkDelayMs > 0 && !(await sleep(chunkDelayMs, exchange.signal))) return false;
      if (exchange.signal.aborted) return false;
      exchange.response.write(formatSseEvent(event));
    }
    return !exchange.signal.aborted;
  }

  async function respond(exchange: Exchange, step: FaultStep): Promise<void> {
    const { response, info } = exchange;
    const waitMs = (step.delayMs ?? 0) + (step.kind === "latency" ? step.ms : 0);
    if (!(await sleep(waitMs, exchange.signal))) return;
    const chunkDelayMs = step.chunkDelayMs ?? 0;
    // Embeddings never stream; the answer-shaped faults (refusal, tool calls…) have no meaning there.
    const streaming = info.stream && info.route !== "embeddings";

    switch (step.kind) {
      case "error": {
        sendErrorJson(response, exchange.provider, step, info.model, exchange.requestId);
        return;
      }
      case "hang": {
        if (streaming && (step.afterChunks ?? 0) > 0) {
          response.writeHead(200, successHeaders(exchange, true, step.headers));
          await writeEvents(exchange, render(exchange, { kind: "ok" }).events().slice(0, step.afterChunks), chunkDelayMs);
        } else if (!streaming && step.bodyStall === true) {
          response.writeHead(200, successHeaders(exchange, false, step.headers));
          response.flushHeaders();
        }
        // Nothing more is sent: the exchange ends when the client aborts or close() destroys the socket.
        return;
      }
      case "malformed_json": {
        const rendered = render(exchange, { kind: "ok" });
        if (streaming) {
          response.writeHead(200, successHeaders(exchange, true, step.headers));
          const events = rendered.events();
          const broken: SseEvent = { event: events[0]?.event, data: '{"id": "broken", "choices": [' };
          if (broken.event === undefined) delete broken.event;
          if (!(await writeEvents(exchange, [...events.slice(0, 1), broken], chunkDelayMs))) return;
          response.end();
        } else {
          const text = JSON.stringify(rendered.json());
          response.writeHead(200, successHeaders(exchange, false, step.headers));
          response.end(text.slice(0, Math.floor(text.length / 2)));
        }
        return;
      }
      case "error_payload": {
        const preset = step.error ?? (exchange.provider === "anthropic" ? "overloaded" : "server_error");
        if (streaming) {
          const sent = step.afterChunks ?? 2;
          const payload = errorPayload(exchange, preset, step.message, sent);
          const events = render(exchange, { kind: "ok" }).events().slice(0, sent);
          response.writeHead(200, successHeaders(exchange, true, step.headers));
          if (!(await writeEvents(exchange, [...events, ...payload.events], chunkDelayMs))) return;
          response.end();
        } else {
          response.writeHead(200, successHeaders(exchange, false, step.headers));
          response.end(JSON.stringify(errorPayload(exchange, preset, step.message, 0).json));
        }
        return;
      }
      case "stream_cut": {
        const rendered = render(exchange, { kind: "ok" });
        if (streaming) {
          response.writeHead(200, successHeaders(exchange, true, step.headers));
          await writeEvents(exchange, rendered.events().slice(0, step.afterChunks ?? 2), chunkDelayMs);
        } else {
          const text = JSON.stringify(rendered.json());
          // Announce the full length so the client knows the body was cut, then send half of it.
          response.writeHead(200, { ...successHeaders(exchange, false, step.headers), "content-length": String(Buffer.byteLength(text)) });
          response.write(text.slice(0, Math.floor(text.length / 2)));
        }
        // Ending the socket (not the response) leaves the body or the chunked stream unterminated, as a dropped
        // connection does; the bytes already written still reach the client first.
        response.socket?.end();
        return;
      }
      default: {
        const rendered = render(exchange, step);
        if (streaming) {
          response.writeHead(200, successHeaders(exchange, true, step.headers));
          if (!(await writeEvents(exchange, rendered.events(), chunkDelayMs))) return;
          response.end();
        } else {
          response.writeHead(200, successHeaders(exchange, false, step.headers));
          response.end(JSON.stringify(rendered.json()));
        }
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    enqueue(...steps: FaultStep[]): void {
      enqueued.push(...(parseFaultScript({ sequence: steps }).sequence ?? []));
    },
    setScript(next: FaultScript): void {
      script = parseFaultScript(next);
      cursors.clear();
    },
    reset(): void {
      requests.length = 0;
      enqueued = [];
      cursors.clear();
      attempts.clear();
      arrivals = 0;
    },
    waitForRequests(count: number): Promise<void> {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
