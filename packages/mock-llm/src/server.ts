import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeRequest } from "./answer.js";
import { respond } from "./faults.js";
import { createRandom, generateId, hashString } from "./generate.js";
import { parseObjectBody, providerFor, readBody, recordHeaders, routeFor, scenarioOf, sdkRetryCountOf } from "./request.js";
import { ScriptCursor } from "./script-cursor.js";
import type { FaultScript, FaultStep, MockLlmOptions, RecordedRequest } from "./types.js";
import { Exchange, writeError } from "./wire.js";

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

const INTERNAL_ERROR_BODY = JSON.stringify({
  error: { message: "mock-llm internal error", type: "server_error", param: null, code: null },
});

/** The loopback server behind {@link startMockLlm}: it records each request, picks its step and answers it. */
class MockLlmServer implements MockLlm {
  readonly requests: RecordedRequest[] = [];
  private readonly seed: number;
  private readonly now: () => number;
  private readonly cursor: ScriptCursor;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly server: Server;
  private arrivals = 0;
  private address: AddressInfo | undefined;
  private closed: Promise<void> | undefined;

  constructor(options: MockLlmOptions) {
    this.seed = options.seed ?? 1;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.cursor = new ScriptCursor(options.script);
    this.server = createServer((request, response) => this.serve(request, response));
  }

  get url(): string {
    const address = this.listening();
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  get port(): number {
    return this.listening().port;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
  }

  enqueue(...steps: FaultStep[]): void {
    this.cursor.enqueue(steps);
  }

  setScript(script: FaultScript): void {
    this.cursor.setScript(script);
  }

  reset(): void {
    this.requests.length = 0;
    this.cursor.reset();
    this.arrivals = 0;
  }

  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }

  private listening(): AddressInfo {
    if (this.address === undefined) throw new Error("the mock LLM is not listening");
    return this.address;
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    response.on("error", () => {
      // The client went away mid-write; nothing to do, the exchange is over.
    });
    this.handle(request, response).catch(() => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(500, { "content-type": "application/json" });
      response.end(INTERNAL_ERROR_BODY);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const controller = new AbortController();
    response.on("close", () => controller.abort());
    const url = new URL(request.url ?? "/", "http://mock.invalid");
    const route = routeFor(request.method, url.pathname);
    const provider = providerFor(route, url.pathname);
    const raw = await readBody(request);
    this.arrivals += 1;
    const index = this.arrivals;
    const requestId = generateId("req_", createRandom(hashString(`request:${index}`, this.seed)), 24);

    if (route === undefined) {
      const message = `Unknown request URL: ${request.method ?? "GET"} ${url.pathname}. Please check the URL for typos.`;
      writeError(response, provider, { kind: "error", error: "not_found", status: 404, message }, "unknown", requestId, this.now());
      return;
    }
    const body = parseObjectBody(raw);
    if (body === undefined) {
      const message = "We could not parse the JSON body of your request.";
      writeError(response, provider, { kind: "error", error: "invalid_request", message }, "unknown", requestId, this.now());
      return;
    }
    const info = describeRequest(route, body, this.seed, index, this.now());
    const scenario = scenarioOf(request, info);
    const { step, attempt } = this.cursor.next(route, scenario);
    this.record({
      index,
      method: request.method ?? "POST",
      path: url.pathname,
      route,
      headers: recordHeaders(request),
      body,
      stream: info.stream,
      scenario,
      attempt,
      sdkRetryCount: sdkRetryCountOf(request),
      // A copy: built-in and scripted steps are shared objects that assertions must not be able to change.
      step: structuredClone(step),
    });
    await respond(new Exchange(response, provider, info, requestId, controller.signal, this.now), step);
  }

  private record(recorded: RecordedRequest): void {
    this.requests.push(recorded);
    for (let index = this.waiters.length - 1; index >= 0; index--) {
      const waiter = this.waiters[index];
      if (waiter && this.requests.length >= waiter.count) {
        this.waiters.splice(index, 1);
        waiter.resolve();
      }
    }
  }
}

/** Starts a mock LLM server on loopback (any free port by default) and resolves once it listens. */
export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const server = new MockLlmServer(options);
  await server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  return server;
}
