// The instrumentation reports through its own component logger (InstrumentationBase's `_diag`), whose namespace is
// the package name, never through the global `diag` with a hand-written prefix.
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrumentAll, instrumentation } from "./harness.js";

const logged: Array<{ level: string; args: unknown[] }> = [];
const record =
  (level: string) =>
  (...args: unknown[]): void => {
    logged.push({ level, args });
  };
const logger: DiagLogger = { error: record("error"), warn: record("warn"), info: record("info"), debug: record("debug"), verbose: record("verbose") };

beforeAll(() => {
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterAll(() => {
  diag.disable();
  instrumentAll();
});

describe("diagnostics", () => {
  it("a module without the client class is reported under the instrumentation's name", () => {
    instrumentation.manuallyInstrument({} as never);
    expect(logged).toEqual([
      { level: "warn", args: ["@telltale/instrumentation-anthropic", "the @anthropic-ai/sdk module has no Anthropic class; not instrumented"] },
    ]);
  });
});
