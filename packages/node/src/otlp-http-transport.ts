/**
 * The OTLP/HTTP transport under Telltale's trace and metric exporters: one POST per export, retried on the
 * retryable answers of the OTLP specification (429, 502, 503, 504 and network errors, honouring `Retry-After`) within
 * the export timeout, like the OpenTelemetry transport. With gzip the body is compressed once per export, off the
 * event loop (see gzip-body.ts). What it adds is an end: `abort()` fails every export in flight at once (a compression
 * included), clears the backoff timers, closes the keep-alive sockets and refuses later sends, so a shutdown that gave
 * up on a dead or hanging backend leaves nothing that keeps the process alive.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import type { ExportResponse, IExporterTransport } from "@opentelemetry/otlp-exporter-base";
import { gzipBody } from "./gzip-body.js";

export interface OtlpHttpTransportOptions {
  url: string;
  headers: () => Promise<Record<string, string>>;
  compression: "gzip" | "none";
  /** The agent for the URL's protocol (keep-alive, and the TLS settings of `OTEL_EXPORTER_OTLP_*CERTIFICATE`). */
  agentFactory: (protocol: string) => Agent | Promise<Agent>;
}

type Request = (url: URL, options: RequestOptions, callback: (response: IncomingMessage) => void) => ClientRequest;

/** A request body as it goes on the wire, with the headers that say how it was encoded. */
interface EncodedBody {
  body: Uint8Array;
  encodingHeaders: Record<string, string>;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);
const MAX_ATTEMPTS = 6;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
/** Enough to read an OTLP answer (a partial-success message); a larger body is not an OTLP answer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Thrown into pending and later exports once the transport was aborted. */
export class ExportAbortedError extends Error {
  override readonly name = "ExportAbortedError";
}

function parseRetryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function responseOf(response: IncomingMessage, body: Buffer): ExportResponse {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status <= 299) return { status: "success", data: body };
  const error = new Error(`OTLP export got HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ""}`);
  if (RETRYABLE_STATUS.has(status)) {
    const retryInMillis = parseRetryAfterMs(response.headers["retry-after"]);
    return { status: "retryable", error, ...(retryInMillis !== undefined && { retryInMillis }) };
  }
  return { status: "failure", error };
}

export class OtlpHttpTransport implements IExporterTransport {
  private readonly controller = new AbortController();
  private readonly agents: Agent[] = [];
  private request: Promise<{ request: Request; agent: Agent }> | undefined;

  constructor(private readonly options: OtlpHttpTransportOptions) {}

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    // Encoded once per export, not per attempt; the time it takes counts against the export's timeout.
    const encoded = await this.encode(data);
    if (!("body" in encoded)) return encoded;
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      return { status: "failure", error: new Error(`OTLP export timed out after ${timeoutMillis} ms while compressing its body`) };
    }
    let backoffMs = INITIAL_BACKOFF_MS;
    let result = await this.attempt(encoded, remainingMs);
    for (let attempt = 1; attempt < MAX_ATTEMPTS && result.status === "retryable"; attempt++) {
      const jittered = Math.min(backoffMs * (0.8 + Math.random() * 0.4), MAX_BACKOFF_MS);
      const waitMs = result.retryInMillis ?? jittered;
      backoffMs *= BACKOFF_MULTIPLIER;
      if (Date.now() + waitMs >= deadline) break;
      if (!(await this.sleep(waitMs))) return this.abortedResponse();
      result = await this.attempt(encoded, deadline - Date.now());
    }
    return result;
  }

  /** Fails what is in flight and every later send; closes the sockets. Idempotent. */
  abort(reason = "the exporter was shut down"): void {
    if (this.aborted) return;
    this.controller.abort(new ExportAbortedError(`OTLP export to ${this.options.url} aborted: ${reason}`));
    for (const agent of this.agents) agent.destroy();
  }

  shutdown(): void {
    this.abort();
  }

  /** The body as sent: gzipped (off the event loop, abortable) or as serialized. A failure is returned, never thrown. */
  private async encode(data: Uint8Array): Promise<EncodedBody | ExportResponse> {
    if (this.options.compression === "none") return { body: data, encodingHeaders: {} };
    if (this.aborted) return this.abortedResponse();
    try {
      return { body: await gzipBody(data, this.controller.signal), encodingHeaders: { "Content-Encoding": "gzip" } };
    } catch (error) {
      if (this.aborted) return this.abortedResponse();
      const reason = error instanceof Error ? error.message : String(error);
      return { status: "failure", error: new Error(`OTLP export could not gzip its body: ${reason}`) };
    }
  }

  private abortedResponse(): ExportResponse {
    const reason: unknown = this.controller.signal.reason;
    return { status: "failure", error: reason instanceof Error ? reason : new ExportAbortedError(String(reason)) };
  }

  /** Waits `ms` on an unref'd timer; false when the transport was aborted meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      timer.unref();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async loadRequest(): Promise<{ request: Request; agent: Agent }> {
    this.request ??= (async () => {
      const protocol = new URL(this.options.url).protocol;
      const module = protocol === "https:" ? await import("node:https") : await import("node:http");
      const agent = await this.options.agentFactory(protocol);
      this.agents.push(agent);
      return { request: module.request as Request, agent };
    })();
    return this.request;
  }

  private async attempt({ body, encodingHeaders }: EncodedBody, timeoutMillis: number): Promise<ExportResponse> {
    if (this.aborted) return this.abortedResponse();
    const [{ request, agent }, headers] = await Promise.all([this.loadRequest(), this.options.headers()]);
    if (this.aborted) return this.abortedResponse();
    const allHeaders: Record<string, string | number> = { ...headers, ...encodingHeaders, "Content-Length": body.byteLength };
    return new Promise<ExportResponse>((resolve) => {
      let settled = false;
      let req: ClientRequest | undefined;
      const timer = setTimeout(() => {
        req?.destroy();
        settle({ status: "retryable", error: new Error(`OTLP export timed out after ${timeoutMillis} ms`) });
      }, timeoutMillis);
      timer.unref();
      const settle = (response: ExportResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      req = request(
        new URL(this.options.url),
        { method: "POST", headers: allHeaders, agent, signal: this.controller.signal },
        (response) => this.readResponse(response, settle),
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (this.aborted) settle(this.abortedResponse());
        else if (error.code !== undefined && RETRYABLE_NETWORK_ERRORS.has(error.code)) settle({ status: "retryable", error });
        else settle({ status: "failure", error });
      });
      req.end(body);
    });
  }

  private readResponse(response: IncomingMessage, settle: (response: ExportResponse) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy();
        settle({ status: "failure", error: new Error(`OTLP export answer exceeded ${MAX_RESPONSE_BYTES} bytes`) });
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => settle(responseOf(response, Buffer.concat(chunks))));
    response.on("error", (error) => settle(this.aborted ? this.abortedResponse() : { status: "failure", error }));
  }
}
