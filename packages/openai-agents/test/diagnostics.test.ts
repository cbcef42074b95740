// The tracing processor reports its own failures through the component logger named after the package, with an
// unprefixed message and the failure after it, and never throws into the Agents SDK.
import { diag, DiagLogLevel } from "@opentelemetry/api";
import { afterAll, expect, it } from "vitest";
import { telltaleProcessor, type AgentsTrace } from "@telltale/openai-agents";

const reported: unknown[][] = [];
const keep = (...args: unknown[]): void => void reported.push(args);
diag.setLogger({ error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
afterAll(() => diag.disable());

it("reports a trace it could not handle under @telltale/openai-agents", async () => {
  const failure = new Error("trace getter failed");
  const trace = Object.defineProperty({}, "traceId", {
    enumerable: true,
    get: () => {
      throw failure;
    },
  }) as AgentsTrace;
  await expect(telltaleProcessor().onTraceStart(trace)).resolves.toBeUndefined();
  expect(reported).toEqual([["@telltale/openai-agents", "onTraceStart failed", failure]]);
});
