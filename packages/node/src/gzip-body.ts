/**
 * Gzip for an OTLP request body without stalling the app: zlib works on libuv's thread pool, a chunk at a time, so a
 * large export never blocks the event loop the app's own requests run on, and an abort stops it at the next chunk, so
 * a shutdown that gives up does not wait for a compression to finish.
 */
import { createGzip } from "node:zlib";

/** The gzip of `data`; rejects with the signal's reason once it aborts, or with zlib's error. */
export function gzipBody(data: Uint8Array, signal: AbortSignal): Promise<Buffer> {
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise((resolve, reject) => {
    const gzip = createGzip();
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      gzip.destroy(reasonOf(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
    gzip.on("end", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(Buffer.concat(chunks));
    });
    gzip.on("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
    gzip.end(data);
  });
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}
