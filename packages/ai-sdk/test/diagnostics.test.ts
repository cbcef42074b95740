// The telemetry integration reports its own failures through the component logger named after the package, with an
// unprefixed message and the failure after it, and never throws into the AI SDK.
import { diag, DiagLogLevel } from "@opentelemetry/api";
import { afterAll, expect, it } from "vitest";
import { telltaleTelemetry } from "@telltale/ai-sdk";

const reported: unknown[][] = [];
const keep = (...args: unknown[]): void => void reported.push(args);
diag.setLogger({ error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
afterAll(() => diag.disable());

it("reports a hook event it could not read under @telltale/ai-sdk", () => {
  const failure = new Error("event getter failed");
  const event = Object.defineProperty({}, "operationId", {
    enumerable: true,
    get: () => {
      throw failure;
    },
  });
  expect(() => telltaleTelemetry().onStart(event)).not.toThrow();
  expect(reported).toEqual([["@telltale/ai-sdk", "the AI SDK onStart hook failed", failure]]);
});
