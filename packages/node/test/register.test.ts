// The one-line setup in real child processes: `node --import @telltale/node/register` with an ESM app and
// `require("@telltale/node/register")` with a CJS one, the real openai SDK against @telltale/mock-llm, spans read
// back from a loopback OTLP/HTTP JSON receiver; SIGTERM flushes a pending trace and still ends the process.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = path.join(packageDir, "test", "fixtures");

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[], env: Record<string, string>, onStdout?: (text: string, kill: () => void) => void): Promise<ChildResult> {
  // Only our variables: an OTEL_* from the developer's shell must not change what the child does.
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("OTEL_") && !key.startsWith("TELLTALE_") && key !== "ANTHROPIC_OPEN_TELEMETRY",
    ),
  ) as Record<string, string>;
  const child = spawn(process.execPath, args, { cwd: packageDir, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    onStdout?.(stdout, () => child.kill("SIGTERM"));
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

let mock: MockLlm;
let receiver: OtlpReceiver;

beforeAll(async () => {
  mock = await startMockLlm({
    port: 0,
    seed: 7,
    script: {
      scenarios: {
        flaky: [
          { kind: "error", error: "rate_limit", retryAfterMs: 5 },
          { kind: "ok", text: "All clear." },
        ],
      },
    },
  });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await mock.close();
  await receiver.close();
});

beforeEach(() => {
  mock.reset();
  receiver.spans.length = 0;
});

function childEnv(serviceName: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MOCK_LLM_URL: mock.url,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    ...extra,
  };
}

function chatSpans(serviceName: string): ReceivedSpan[] {
  return receiver.spans.filter((span) => span.serviceName === serviceName && span.name === "chat gpt-4o-mini");
}

describe("@telltale/node/register", () => {
  it("patches an ESM `import OpenAI from \"openai\"` under node --import, and exports the retried call on exit", async () => {
    const result = await runChild(["--import", "@telltale/node/register", path.join(fixtures, "app-esm.mjs")], childEnv("esm-app"));

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ answer: "All clear." });
    const [chat] = chatSpans("esm-app");
    expect(chat).toBeDefined();
    expect(chat!.parentSpanId).toBeUndefined();
    expect(chat!.attributes).toMatchObject({
      "gen_ai.provider.name": "openai",
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini",
      "telltale.retry.count": 1,
      "http.request.resend_count": 1,
      "telltale.attempt.status_codes": [429, 200],
      "telltale.keep": true,
    });
    expect(chat!.attributes["telltale.sampling.reasons"]).toContain("retried");
    expect(mock.requests.map((request) => request.sdkRetryCount)).toEqual([0, 1]);
    // GenAI metrics go to the same endpoint; the reader's final export happens at shutdown.
    expect(receiver.metricNames).toContain("esm-app/gen_ai.client.operation.duration");
    expect(receiver.metricNames).toContain("esm-app/gen_ai.client.token.usage");
  });

  it("patches an ESM `import Anthropic from \"@anthropic-ai/sdk\"` too, without the SDK's own duplicate spans", async () => {
    const result = await runChild(
      ["--import", "@telltale/node/register", path.join(fixtures, "app-anthropic.mjs")],
      childEnv("anthropic-app"),
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ stopReason: "end_turn" });
    const spans = receiver.spans.filter((span) => span.serviceName === "anthropic-app");
    // ANTHROPIC_OPEN_TELEMETRY=false (set by start): the SDK's own `anthropic.messages.create` span is not there.
    expect(spans.map((span) => span.name)).toEqual(["chat claude-haiku-4-5"]);
    expect(spans[0]!.attributes).toMatchObject({
      "gen_ai.provider.name": "anthropic",
      "telltale.retry.count": 1,
      "telltale.attempt.status_codes": [429, 200],
    });
  });

  it("patches `require(\"openai\")` after require(\"@telltale/node/register\") in a CommonJS app", async () => {
    const result = await runChild([path.join(fixtures, "app-cjs.cjs")], childEnv("cjs-app"));

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [chat] = chatSpans("cjs-app");
    expect(chat?.attributes).toMatchObject({ "telltale.retry.count": 1, "telltale.attempt.status_codes": [429, 200] });
    expect(chat?.attributes).not.toHaveProperty("telltale.error.class");
    expect(chat?.attributes["telltale.sampling.reasons"]).toContain("retried");
  });

  it("on SIGTERM decides the pending trace, exports it, then dies of the signal as Node would", async () => {
    // Every healthy trace kept (baseline 100 %), but only a minute after its root ended: only the shutdown on
    // SIGTERM can decide and export it in time.
    const policyDir = mkdtempSync(path.join(tmpdir(), "telltale-node-policy-"));
    const policyFile = path.join(policyDir, "policy.json");
    writeFileSync(policyFile, JSON.stringify({ baseline: { percentage: 100 }, buffer: { decisionWaitMs: 60_000, maxTraceAgeMs: 120_000 } }));

    let killed = false;
    const result = await runChild(
      [path.join(fixtures, "app-cjs.cjs")],
      childEnv("sigterm-app", { SCENARIO: "ok", WAIT_FOR_SIGNAL: "1", TELLTALE_POLICY_FILE: policyFile }),
      (stdout, kill) => {
        if (!killed && stdout.includes("ready")) {
          killed = true;
          expect(chatSpans("sigterm-app")).toEqual([]);
          kill();
        }
      },
    );

    expect(result.stderr).toBe("");
    expect(result.signal).toBe("SIGTERM");
    const [chat] = chatSpans("sigterm-app");
    expect(chat?.attributes["telltale.sampling.reasons"]).toEqual(["baseline"]);
    // One successful attempt: no retry attributes.
    expect(chat?.attributes).not.toHaveProperty("telltale.retry.count");
    expect(chat?.attributes).not.toHaveProperty("telltale.attempt.status_codes");
    expect(chat?.attributes).not.toHaveProperty("telltale.keep");
  });

  it("start() in an ESM app patches a dynamically imported openai once the loader hook is imported first", async () => {
    const result = await runChild([path.join(fixtures, "app-start-esm.mjs")], childEnv("ignored-by-option"));

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ kept: ["chat gpt-4o-mini"] });
    expect(chatSpans("start-esm-app")[0]?.attributes["telltale.attempt.status_codes"]).toEqual([429, 200]);
  });

  it("fails fast on a bad variable, naming it, before any app code runs", async () => {
    const result = await runChild(
      ["--import", "@telltale/node/register", path.join(fixtures, "bad-config.mjs")],
      childEnv("bad-app", { TELLTALE_SAMPLING: "sometimes" }),
    );

    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain("app code ran");
    expect(result.stderr).toContain('TELLTALE_SAMPLING must be one of in-process, collector, off; got "sometimes"');
  });
});
