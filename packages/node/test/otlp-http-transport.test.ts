// The transport under the OTLP exporters, with gzip: the body is compressed once per export and every attempt sends
// it with its Content-Encoding; a shutdown's abort ends an export still compressing at once, before anything is sent;
// a body that cannot be compressed fails its export instead of throwing. A loopback receiver that decodes gzip.
import { Agent } from "node:http";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { ExportResponse } from "@opentelemetry/otlp-exporter-base";
import { afterEach, describe, expect, it } from "vitest";
import { gzipBody } from "../src/gzip-body.js";
import { ExportAbortedError, OtlpHttpTransport } from "../src/otlp-http-transport.js";
import { startProtoReceiver, type ProtoReceiver } from "./otlp-proto-receiver.js";

/** Not OTLP: the receiver only decodes the body (gzip), which is what these tests read. */
const SIGNAL_PATH = "/v1/logs";
/** Large enough that compressing it takes many zlib chunks on the thread pool. */
const LARGE_BODY_BYTES = 8 * 1024 * 1024;

let receiver: ProtoReceiver | undefined;
const transports: OtlpHttpTransport[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.abort();
  await receiver?.close();
  receiver = undefined;
});

function transportTo(url: string): OtlpHttpTransport {
  const transport = new OtlpHttpTransport({
    url,
    headers: () => Promise.resolve({ "Content-Type": "application/x-protobuf" }),
    compression: "gzip",
    agentFactory: () => new Agent({ keepAlive: true }),
  });
  transports.push(transport);
  return transport;
}

/** The error of a failed export (the test fails when it did not fail). */
function failureOf(result: ExportResponse): Error {
  expect(result.status).toBe("failure");
  return result.status === "failure" ? result.error : new Error(`not a failure: ${result.status}`);
}

describe("gzipBody", () => {
  it("gives the gzip of the body", async () => {
    const body = Buffer.from("resourceSpans ".repeat(1000));
    const gzipped = await gzipBody(body, new AbortController().signal);

    expect(gunzipSync(gzipped)).toEqual(body);
    expect(gzipped.length).toBeLessThan(body.length);
  });

  it("rejects with the abort's reason when aborted while compressing, and at once when already aborted", async () => {
    const controller = new AbortController();
    const compressing = gzipBody(randomBytes(LARGE_BODY_BYTES), controller.signal);
    controller.abort(new Error("shutdown gave up"));

    await expect(compressing).rejects.toThrow("shutdown gave up");
    await expect(gzipBody(Buffer.from("spans"), controller.signal)).rejects.toThrow("shutdown gave up");
  });
});

describe("OtlpHttpTransport with gzip", () => {
  it("a retried export sends the same gzipped body with Content-Encoding on every attempt", async () => {
    receiver = await startProtoReceiver({ statuses: [503] });
    const body = Buffer.from("scopeSpans ".repeat(500));

    const result = await transportTo(`${receiver.url}${SIGNAL_PATH}`).send(body, 10_000);

    expect(result.status).toBe("success");
    expect(receiver.requests).toHaveLength(2);
    for (const request of receiver.requests) {
      expect(request).toMatchObject({ path: SIGNAL_PATH, contentEncoding: "gzip", decodedBytes: body.length });
      expect(request.wireBytes).toBeLessThan(body.length);
    }
  });

  it("an abort while the body is still compressing fails the export at once, and nothing is sent", async () => {
    receiver = await startProtoReceiver();
    const transport = transportTo(`${receiver.url}${SIGNAL_PATH}`);

    const sending = transport.send(randomBytes(LARGE_BODY_BYTES), 10_000);
    transport.abort("shutdown timed out after 100 ms");
    const error = failureOf(await sending);

    expect(error).toBeInstanceOf(ExportAbortedError);
    expect(error.message).toBe(
      `OTLP export to ${receiver.url}${SIGNAL_PATH} aborted: shutdown timed out after 100 ms`,
    );
    expect(receiver.requests).toEqual([]);
  });

  it("a body zlib refuses fails its export with the reason, it does not throw", async () => {
    receiver = await startProtoReceiver();
    const notBytes = { length: 3 } as unknown as Uint8Array;

    const error = failureOf(await transportTo(`${receiver.url}${SIGNAL_PATH}`).send(notBytes, 10_000));

    expect(error.message).toMatch(/^OTLP export could not gzip its body: /);
    expect(receiver.requests).toEqual([]);
  });
});
