// The handler reports its own failures through the component logger named after the package, with an unprefixed
// message and the failure after it, and never throws into LangChain.
import { diag, DiagLogLevel } from "@opentelemetry/api";
import { afterAll, expect, it } from "vitest";
import { telltale } from "@telltale/langchain";

const reported: unknown[][] = [];
const keep = (...args: unknown[]): void => void reported.push(args);
diag.setLogger({ error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
afterAll(() => diag.disable());

it("reports a callback it could not handle under @telltale/langchain", () => {
  const failure = new Error("metadata getter failed");
  const metadata = Object.defineProperty({}, "timeoutMs", {
    enumerable: true,
    get: () => {
      throw failure;
    },
  });
  expect(() => telltale().handleChainStart({ id: ["langchain", "Chain"] }, {}, "run-1", undefined, [], metadata)).not.toThrow();
  expect(reported).toEqual([["@telltale/langchain", "handleChainStart failed", failure]]);
});
