// Telemetry that cannot be delivered is said out loud once, and startup says nothing it has no reason to: a
// collector that answers 404 to the metrics push (no metrics pipeline) gets exactly one stderr line by default,
// and with OTEL_LOG_LEVEL=warn a normal run prints nothing (no "Accessing resource attributes before async
// attributes settled" from an export that read the resource before the host id was known).
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtures, runChild } from "./child-process.js";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp-receiver.js";

let withoutMetrics: OtlpReceiver;
let receiver: OtlpReceiver;
let refusedUrl = "";

beforeAll(async () => {
  // A port that was just free: nothing listens there, so connections are refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  withoutMetrics = await startOtlpReceiver({ metricsStatus: 404 });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await withoutMetrics.close();
  await receiver.close();
});

const app = path.join(fixtures, "error-app.mjs");

describe("export visibility", () => {
  it("a metrics push the backend refuses is reported once on stderr, without OTEL_LOG_LEVEL", async () => {
    const result = await runChild(["--import", "@telltale/node/register", app], {
      OTEL_SERVICE_NAME: "metrics-404-app",
      OTEL_EXPORTER_OTLP_ENDPOINT: withoutMetrics.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_METRIC_EXPORT_INTERVAL: "100",
      MESSAGE_BYTES: "10",
      WAIT_MS: "1000",
    });

    expect(result.code).toBe(0);
    // Several pushes were refused (periodic ones, then the final one at shutdown)…
    expect(withoutMetrics.paths.filter((received) => received === "/v1/metrics").length).toBeGreaterThan(1);
    // …and one line says so.
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    expect(lines).toEqual([
      `telltale: GenAI metrics could not be exported to ${withoutMetrics.url}/v1/metrics: OTLP export got HTTP 404 Not Found. ` +
        "If it is a collector, it needs a metrics pipeline from its OTLP receiver " +
        "(said once; OTEL_LOG_LEVEL=error shows every failure)",
    ]);
    // The traces still went through.
    expect(withoutMetrics.spans.map((span) => span.name)).toEqual(["invoke_agent summarise"]);
  });

  it("with sampling `collector`, a trace export that fails is reported once on stderr too", async () => {
    const result = await runChild(["--import", "@telltale/node/register", app], {
      OTEL_SERVICE_NAME: "traces-refused-app",
      OTEL_EXPORTER_OTLP_ENDPOINT: refusedUrl,
      OTEL_METRICS_EXPORTER: "none",
      TELLTALE_SAMPLING: "collector",
      TELLTALE_SHUTDOWN_TIMEOUT_MS: "1000",
      MESSAGE_BYTES: "10",
    });

    expect(result.code).toBe(0);
    const lines = result.stderr.split("\n").filter((line) => line.includes("spans could not be exported"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`telltale: spans could not be exported to ${refusedUrl}/v1/traces: `);
    expect(lines[0]).toContain("; they are lost");
  });

  it("with OTEL_LOG_LEVEL=warn a healthy run prints nothing to stderr (the resource is complete before the first export)", async () => {
    const result = await runChild(["--import", "@telltale/node/register", app], {
      OTEL_SERVICE_NAME: "quiet-app",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_LOG_LEVEL: "warn",
      MESSAGE_BYTES: "10",
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const [span] = receiver.spans.filter((received) => received.serviceName === "quiet-app");
    expect(span?.resource["host.id"]).toEqual(expect.any(String));
  });
});
