// How the loopback OTLP/HTTP receivers read a request body, as a real receiver (the Collector's, Jaeger's) does:
// gzip-decoded when the request says `content-encoding: gzip` (what @telltale/node sends by default), as it came when
// there is no encoding; any other encoding, or a gzip body that does not inflate, is refused with 400.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";

/** One request as it came over the wire. */
export interface WireRequest {
  path: string;
  /** `content-encoding`, undefined when absent. */
  contentEncoding: string | undefined;
  contentType: string | undefined;
  /** Bytes of the body as sent (compressed, when it was). */
  wireBytes: number;
  /** Bytes of the body once decoded; undefined when it was refused. */
  decodedBytes: number | undefined;
}

export type DecodedBody = { ok: true; body: Buffer } | { ok: false; problem: string };

export function wireRequestOf(request: IncomingMessage, raw: Buffer, decoded: DecodedBody): WireRequest {
  return {
    path: request.url ?? "",
    contentEncoding: request.headers["content-encoding"],
    contentType: request.headers["content-type"],
    wireBytes: raw.length,
    decodedBytes: decoded.ok ? decoded.body.length : undefined,
  };
}

export function decodeBody(request: IncomingMessage, raw: Buffer): DecodedBody {
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding === undefined || encoding === "" || encoding === "identity") return { ok: true, body: raw };
  if (encoding !== "gzip") return { ok: false, problem: `unsupported content-encoding: ${encoding}` };
  try {
    return { ok: true, body: gunzipSync(raw) };
  } catch (error) {
    return { ok: false, problem: `gzip body does not inflate: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Answers a body that could not be decoded: 400, as a receiver refuses a request it cannot read. */
export function refuse(response: ServerResponse, problem: string): void {
  response.writeHead(400, { "content-type": "text/plain" });
  response.end(problem);
}
