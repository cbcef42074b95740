// enable() alone, as an app runs it: the real CommonJS require hook and the OpenTelemetry ESM loader hook, each in a
// child process, on both SDK majors. The 1.x SDK has no main module (only its dist/cjs and dist/esm files load) and
// each 2.x package bundles its own Protocol: both client and server sides must come out traced.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SpanKind } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE, ATTR_MCP_METHOD_NAME } from "@telltale/core/attributes";
import { describe, expect, it } from "vitest";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const run = promisify(execFile);

interface ReportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

async function runChild(args: string[]): Promise<{ loader: string; spans: ReportedSpan[] }> {
  const { stdout } = await run(process.execPath, args, { timeout: 60_000 });
  return JSON.parse(stdout) as { loader: string; spans: ReportedSpan[] };
}

function expectTracedPair(spans: ReportedSpan[]): void {
  const names = spans.map((s) => `${s.name}/${s.kind === SpanKind.CLIENT ? "client" : s.kind === SpanKind.SERVER ? "server" : s.kind}`);
  expect(names).toEqual(
    expect.arrayContaining([
      "initialize/client",
      "initialize/server",
      "tools/call get_weather/client",
      "tools/call get_weather/server",
      "tools/call flaky_lookup/client",
      "tools/call flaky_lookup/server",
    ]),
  );
  const client = spans.find((s) => s.name === "tools/call flaky_lookup" && s.kind === SpanKind.CLIENT)!;
  const server = spans.find((s) => s.name === "tools/call flaky_lookup" && s.kind === SpanKind.SERVER)!;
  expect(server.traceId).toBe(client.traceId);
  expect(server.parentSpanId).toBe(client.spanId);
  expect(server.attributes[ATTR_ERROR_TYPE]).toBe("tool_error");
  expect(client.attributes[ATTR_MCP_METHOD_NAME]).toBe("tools/call");
}

describe.each(["v1", "v2"])("%s: hooks in a real process, enable() alone", (major) => {
  it("CommonJS: registerInstrumentations, then require() of the SDK", async () => {
    const report = await runChild([fixture("cjs-app.cjs"), major]);
    expect(report.loader).toBe("cjs");
    expectTracedPair(report.spans);
  });

  it("ESM: node --import <register file> with @opentelemetry/instrumentation/hook.mjs, then import of the SDK", async () => {
    const report = await runChild(["--import", fixture("esm-register.mjs"), fixture("esm-app.mjs"), major]);
    expect(report.loader).toBe("esm");
    expectTracedPair(report.spans);
  });
});
