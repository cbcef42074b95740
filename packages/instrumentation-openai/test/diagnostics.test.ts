// The instrumentation reports through its own component logger (InstrumentationBase's `_diag`), whose namespace is
// the package name, never through the global `diag` with a hand-written prefix.
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import type { MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, client, exporter, instrumentAll, instrumentation, mockLlm } from "./harness.js";

const NAMESPACE = "@telltale/instrumentation-openai";
const logged: Array<{ level: string; args: unknown[] }> = [];
const record =
  (level: string) =>
  (...args: unknown[]): void => {
    logged.push({ level, args });
  };
const logger: DiagLogger = { error: record("error"), warn: record("warn"), info: record("info"), debug: record("debug"), verbose: record("verbose") };

let mock: MockLlm;
beforeAll(async () => {
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  mock = await mockLlm();
});
afterAll(() => {
  diag.disable();
  instrumentAll();
});
beforeEach(() => {
  logged.length = 0;
  exporter.reset();
});

describe("diagnostics", () => {
  it("a module without the client class is reported under the instrumentation's name", () => {
    instrumentation.manuallyInstrument({} as never);
    expect(logged).toEqual([{ level: "warn", args: [NAMESPACE, "the openai module has no OpenAI class; not instrumented"] }]);
  });

  it.each(MAJORS)("$label: a throwing redaction hook is reported under the instrumentation's name", async (major) => {
    const failure = new Error("redactor broke");
    instrumentAll({
      captureMessageContent: true,
      redact: () => {
        throw failure;
      },
    });
    await client(major, mock).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(logged.length).toBeGreaterThan(0);
    for (const entry of logged) {
      expect(entry).toEqual({ level: "error", args: [NAMESPACE, "the content redaction hook threw; the content is not captured", failure] });
    }
  });

  it("a semconvStabilityOptIn that is not a string is reported, naming the option, and ignored", async () => {
    instrumentAll({ semconvStabilityOptIn: true as never });
    await client(MAJORS[2]!, mock).responses.create({ model: "gpt-4o-mini", input: "Think", reasoning: { effort: "high" } });
    expect(logged).toEqual([
      {
        level: "warn",
        args: [NAMESPACE, 'semconvStabilityOptIn must be a string such as "gen_ai_latest_experimental"; got true; ignored'],
      },
    ]);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
