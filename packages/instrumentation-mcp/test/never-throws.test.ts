// Instrumentation never breaks the app: when Telltale's own tracing fails (here, a tracer whose startSpan throws),
// both the client call and the server handler run untraced and return exactly what they would, and the failure is
// reported through diag.
import { diag, DiagLogLevel, type DiagLogger, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAJORS, instrumentAll, instrumentation } from "./harness.js";

const errors: unknown[][] = [];
const logger: DiagLogger = {
  error: (...args: unknown[]) => errors.push(args),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

const broken: TracerProvider = {
  getTracer: () =>
    ({
      startSpan: () => {
        throw new Error("tracer failure");
      },
    }) as unknown as Tracer,
};

beforeAll(() => {
  instrumentAll();
  diag.setLogger(logger, DiagLogLevel.ERROR);
  instrumentation.setTracerProvider(broken);
});
afterAll(() => diag.disable());

describe.each(MAJORS)("$label with a tracer that throws", (major) => {
  it("serves and answers every call as without instrumentation, and reports the failure", async () => {
    const pair = await major.connect();
    const ok = await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    const failed = await pair.client.callTool({ name: "flaky_lookup", arguments: { query: "q" } });
    await pair.close();
    expect(ok).toEqual({ content: [{ type: "text", text: "sunny in Oslo" }] });
    expect(failed).toMatchObject({ isError: true, content: [{ type: "text", text: "upstream index unavailable" }] });
    // Under the package's component logger, the message unprefixed, the failure after it.
    expect(errors).toContainEqual(["@telltale/instrumentation-mcp", "starting an MCP client span failed", expect.any(Error)]);
    expect(errors).toContainEqual(["@telltale/instrumentation-mcp", "starting an MCP server span failed", expect.any(Error)]);
  });
});
