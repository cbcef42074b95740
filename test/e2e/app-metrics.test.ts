/**
 * The documented deploy path carries the app's metrics too: an app on the one-line setup
 * (`node --import @telltale/node/register`, the real `openai` SDK against @telltale/mock-llm) sends traces and its
 * GenAI metrics to the collector running deploy/collector/tail-sampling.yaml. The collector takes the metrics push
 * (no 404, so @telltale/node prints no warning) and passes the GenAI metrics on through its `metrics/app` pipeline
 * (to a file here instead of Prometheus).
 */
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goBinaries, pollUntil, runTelltaleApp, startJaeger, startSamplingCollector, type AppRun, type RunningJaeger, type SamplingCollector } from "../support/index.js";

const SERVICE = "metrics-e2e-app";

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;
let mock: MockLlm | undefined;

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({ name: "app-metrics", jaeger });
  mock = await startMockLlm({ port: 0, seed: 3 });
}, 900_000);

afterAll(async () => {
  await mock?.close();
  await collector?.stop();
  await jaeger?.stop();
});

function runApp(env: Record<string, string>): Promise<AppRun> {
  return runTelltaleApp("test/fixtures/app-esm.mjs", env);
}

describe("app -> collector (deploy/collector/tail-sampling.yaml): metrics", () => {
  it("the collector takes the GenAI metrics push and passes it to the metrics backend", async () => {
    const result = await runApp({
      MOCK_LLM_URL: mock!.url,
      SCENARIO: "ok",
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector!.otlpHttpUrl,
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const names = await pollUntil("the app's GenAI metrics out of the metrics/app pipeline", async () => {
      const found = collector!.appMetricNames();
      return found.includes(`${SERVICE}/gen_ai.client.operation.duration`) ? found : undefined;
    });
    expect(names).toEqual(expect.arrayContaining([`${SERVICE}/gen_ai.client.operation.duration`, `${SERVICE}/gen_ai.client.token.usage`]));
  });
});
