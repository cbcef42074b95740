/**
 * Writing one exchange's response: status and headers as the provider sends them, JSON bodies, SSE events paced by
 * `chunkDelayMs`, and the ways a connection can end (cleanly, closed mid-body, or reset).
 */
import type { ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { RequestInfo } from "./answer.js";
import { errorResponse, lowerCaseKeys } from "./errors.js";
import { formatSseEvent, type SseEvent } from "./sse.js";
import type { ErrorStep, Provider } from "./types.js";

/** Writes an HTTP error in the provider's exact shape (also for requests that never got a route). */
export function writeError(
  response: ServerResponse,
  provider: Provider,
  step: ErrorStep,
  model: string,
  requestId: string,
  nowSeconds: number,
): void {
  const error = errorResponse(provider, step, model, requestId, nowSeconds);
  response.writeHead(error.status, { "content-type": "application/json", ...error.headers });
  response.end(JSON.stringify(error.body));
}

/** One request being answered. */
export class Exchange {
  constructor(
    readonly response: ServerResponse,
    readonly provider: Provider,
    readonly info: RequestInfo,
    readonly requestId: string,
    /** Aborted when the client goes away or the server closes. */
    readonly signal: AbortSignal,
    private readonly nowSeconds: () => number,
  ) {}

  /** Waits `ms`; false when the exchange was aborted meanwhile (nothing more should be written). */
  async wait(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.signal.aborted;
    try {
      await delay(ms, undefined, { signal: this.signal });
      return true;
    } catch {
      return false;
    }
  }

  sendError(step: ErrorStep): void {
    writeError(this.response, this.provider, step, this.info.model, this.requestId, this.nowSeconds());
  }

  /** A 200 with a complete JSON body. */
  sendJson(body: unknown, extraHeaders: Record<string, string> | undefined): void {
    this.response.writeHead(200, this.successHeaders(false, extraHeaders));
    this.response.end(JSON.stringify(body));
  }

  /** A 200 whose body is the first half of `text`, ended as a complete response (the body is simply invalid). */
  sendHalfJson(text: string, extraHeaders: Record<string, string> | undefined): void {
    this.response.writeHead(200, this.successHeaders(false, extraHeaders));
    this.response.end(text.slice(0, Math.floor(text.length / 2)));
  }

  /** A 200 announcing the length of `text` but carrying only its first half; the caller then cuts the connection. */
  startTruncatedJson(text: string, extraHeaders: Record<string, string> | undefined): void {
    const headers = { ...this.successHeaders(false, extraHeaders), "content-length": String(Buffer.byteLength(text)) };
    this.response.writeHead(200, headers);
    this.response.write(text.slice(0, Math.floor(text.length / 2)));
  }

  /** The 200 head of an event stream. */
  openStream(extraHeaders: Record<string, string> | undefined): void {
    this.response.writeHead(200, this.successHeaders(true, extraHeaders));
  }

  /** The head of a 200 JSON response, flushed, and no body. */
  openStalledBody(extraHeaders: Record<string, string> | undefined): void {
    this.response.writeHead(200, this.successHeaders(false, extraHeaders));
    this.response.flushHeaders();
  }

  /** Writes `events`, `chunkDelayMs` apart; false when the client went away first. */
  async writeEvents(events: readonly SseEvent[], chunkDelayMs: number): Promise<boolean> {
    for (const event of events) {
      if (chunkDelayMs > 0 && !(await this.wait(chunkDelayMs))) return false;
      if (this.signal.aborted) return false;
      this.response.write(formatSseEvent(event));
    }
    return !this.signal.aborted;
  }

  /** Ends the response properly: the last chunk of a chunked body is sent, the connection stays usable. */
  end(): void {
    this.response.end();
  }

  /**
   * Ends the socket, not the response: the body (or the chunked stream) stays unterminated, as when a connection
   * drops. The bytes already written still reach the client first.
   */
  closeMidBody(): void {
    this.response.socket?.end();
  }

  /**
   * Resets the connection (a TCP RST), as a proxy does when it drops its upstream: once what was written has left,
   * the socket is destroyed without a FIN, and the client sees `ECONNRESET`.
   */
  reset(): Promise<void> {
    const socket = this.response.socket;
    if (socket === null) return Promise.resolve();
    // An empty write's callback runs once everything queued before it was handed to the kernel.
    return new Promise((resolve) => {
      socket.write("", () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
  }

  private successHeaders(stream: boolean, extra: Record<string, string> | undefined): Record<string, string> {
    const headers: Record<string, string> = stream
      ? { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }
      : { "content-type": "application/json" };
    if (this.provider === "anthropic") headers["request-id"] = this.requestId;
    else {
      headers["x-request-id"] = this.requestId;
      headers["openai-processing-ms"] = "1";
    }
    return { ...headers, ...lowerCaseKeys(extra) };
  }
}
