// What goes over the wire: the one-line setup gzips its OTLP exports by default, traces and metrics, in protobuf and
// in JSON; `none`, set for both signals or for one (the per-signal variable wins over the general one), sends the
// bodies as serialized. Child processes exporting to loopback receivers that decode bodies as a real receiver does.
import path from "node:path";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  METRIC_TELLTALE_SAMPLER_KEPT,
} from "@telltale/core/attributes";
import { describe, expect, it } from "vitest";
import { fixtures, runChild } from "./child-process.js";
import type { WireRequest } from "./otlp-body.js";
import { startProtoReceiver, type ProtoReceiver } from "./otlp-proto-receiver.js";
import { startOtlpReceiver } from "./otlp-receiver.js";

const app = path.join(fixtures, "error-app.mjs");

/** One failing workflow (a kept trace of one span), with metric pushes every 100 ms while the app waits. */
function runApp(endpoint: string, env: Record<string, string>) {
  return runChild(["--import", "@telltale/node/register", app], {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_METRIC_EXPORT_INTERVAL: "100",
    MESSAGE_BYTES: "2000",
    WAIT_MS: "300",
    ...env,
  });
}

/** The content encodings the requests to `signalPath` came with, each once (`identity` for none). */
function encodingsOf(requests: WireRequest[], signalPath: string): string[] {
  const onPath = requests.filter((request) => request.path === signalPath);
  return [...new Set(onPath.map((request) => request.contentEncoding ?? "identity"))];
}

/** The one span the app's kept trace holds, as the protobuf receiver decoded it. */
function expectWorkflowSpan(receiver: ProtoReceiver): void {
  expect(receiver.spans).toHaveLength(1);
  expect(receiver.spans[0]).toMatchObject({
    name: "invoke_agent summarise",
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent",
      [ATTR_GEN_AI_AGENT_NAME]: "summarise",
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "error",
    },
  });
}

async function withProtoReceiver(env: Record<string, string>, check: (receiver: ProtoReceiver) => void): Promise<void> {
  const receiver = await startProtoReceiver();
  try {
    const result = await runApp(receiver.url, env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    check(receiver);
  } finally {
    await receiver.close();
  }
}

describe("OTLP compression", () => {
  it("by default, traces and metrics go out gzipped (protobuf) and decode to the span and the metrics", async () => {
    await withProtoReceiver({ OTEL_SERVICE_NAME: "gzip-default-app" }, (receiver) => {
      expect(encodingsOf(receiver.requests, "/v1/traces")).toEqual(["gzip"]);
      expect(encodingsOf(receiver.requests, "/v1/metrics")).toEqual(["gzip"]);
      expectWorkflowSpan(receiver);
      expect(receiver.metricNames).toContain(METRIC_TELLTALE_SAMPLER_KEPT);
      const [traces] = receiver.requests.filter((request) => request.path === "/v1/traces");
      expect(traces?.contentType).toBe("application/x-protobuf");
      // What gzip is for: fewer bytes on the wire than the body holds.
      expect(traces!.wireBytes).toBeLessThan(traces!.decodedBytes!);
    });
  });

  it("by default with http/json too: gzipped JSON that decodes to the span, its attributes and the metrics", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const result = await runApp(receiver.url, { OTEL_SERVICE_NAME: "gzip-json-app", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });

      expect(result.code).toBe(0);
      expect(encodingsOf(receiver.requests, "/v1/traces")).toEqual(["gzip"]);
      expect(encodingsOf(receiver.requests, "/v1/metrics")).toEqual(["gzip"]);
      expect(receiver.requests.every((request) => request.contentType === "application/json")).toBe(true);
      expect(receiver.spans).toHaveLength(1);
      expect(receiver.spans[0]).toMatchObject({
        name: "invoke_agent summarise",
        serviceName: "gzip-json-app",
        attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent", [ATTR_GEN_AI_AGENT_NAME]: "summarise" },
        status: { message: "x".repeat(2000) },
      });
      expect(receiver.metricNames).toContain(`gzip-json-app/${METRIC_TELLTALE_SAMPLER_KEPT}`);
    } finally {
      await receiver.close();
    }
  });

  it("OTEL_EXPORTER_OTLP_COMPRESSION=none sends traces and metrics uncompressed", async () => {
    await withProtoReceiver({ OTEL_SERVICE_NAME: "uncompressed-app", OTEL_EXPORTER_OTLP_COMPRESSION: "none" }, (receiver) => {
      expect(encodingsOf(receiver.requests, "/v1/traces")).toEqual(["identity"]);
      expect(encodingsOf(receiver.requests, "/v1/metrics")).toEqual(["identity"]);
      expect(receiver.requests.every((request) => request.wireBytes === request.decodedBytes)).toBe(true);
      expectWorkflowSpan(receiver);
      expect(receiver.metricNames).toContain(METRIC_TELLTALE_SAMPLER_KEPT);
    });
  });

  it.each([
    { variable: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", service: "traces-uncompressed-app", traces: "identity", metrics: "gzip" },
    { variable: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", service: "metrics-uncompressed-app", traces: "gzip", metrics: "identity" },
  ])("$variable=none wins over a general gzip: traces $traces, metrics $metrics", async ({ variable, service, traces, metrics }) => {
    const env = { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip", [variable]: "none" };
    await withProtoReceiver({ OTEL_SERVICE_NAME: service, ...env }, (receiver) => {
      expect(encodingsOf(receiver.requests, "/v1/traces")).toEqual([traces]);
      expect(encodingsOf(receiver.requests, "/v1/metrics")).toEqual([metrics]);
      expectWorkflowSpan(receiver);
      expect(receiver.metricNames).toContain(METRIC_TELLTALE_SAMPLER_KEPT);
    });
  });
});
