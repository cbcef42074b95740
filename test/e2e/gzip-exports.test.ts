/**
 * @telltale/node gzips its OTLP exports by default; Jaeger's OTLP/HTTP receiver takes them as they are sent. An app on
 * the one-line setup (`node --import @telltale/node/register`, no compression variable set) exports its kept trace
 * straight to Jaeger, and Jaeger's query API returns it with its attributes. (The collector's receiver takes the same
 * default bodies in app-metrics.test.ts and mcp.test.ts.)
 */
import { ATTR_GEN_AI_AGENT_NAME, ATTR_GEN_AI_OPERATION_NAME, ATTR_TELLTALE_SAMPLING_REASONS } from "@telltale/core/attributes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goBinaries, pollUntil, runTelltaleApp, startJaeger, type AppRun, type RunningJaeger } from "../support/index.js";

const SERVICE = "gzip-to-jaeger-app";

let jaeger: RunningJaeger | undefined;

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
}, 900_000);

afterAll(async () => {
  await jaeger?.stop();
});

/** One failing workflow (kept by the in-process sampler for its error), exported with the defaults. */
function runFailingApp(env: Record<string, string>): Promise<AppRun> {
  return runTelltaleApp("test/fixtures/error-app.mjs", { MESSAGE_BYTES: "100", ...env });
}

describe("app -> Jaeger, gzip by default", () => {
  it("Jaeger takes the gzipped trace export and returns the span with its attributes", async () => {
    const result = await runFailingApp({
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger!.otlpHttpUrl,
      // Jaeger stores traces only; a metrics push would be refused (and said so on stderr).
      OTEL_METRICS_EXPORTER: "none",
    });

    expect(result.code).toBe(0);
    // No lost-trace warning: the export was accepted.
    expect(result.stderr).toBe("");
    const [trace] = await pollUntil("the app's trace in Jaeger", async () => {
      const traces = await jaeger!.client.findTraces({ service: SERVICE, numTraces: 10 });
      return traces.length > 0 ? traces : undefined;
    });
    expect(trace?.spans).toHaveLength(1);
    const [span] = trace!.spans;
    expect(span).toMatchObject({
      name: "invoke_agent summarise",
      serviceName: SERVICE,
      statusCode: "STATUS_CODE_ERROR",
      attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent", [ATTR_GEN_AI_AGENT_NAME]: "summarise" },
    });
    expect(span?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toContain("error");
  });
});
