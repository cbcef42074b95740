import { SpanKind } from "@opentelemetry/api";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, exporter, instrumentAll, spans } from "./harness.js";

beforeAll(() => instrumentAll());

describe.each(MAJORS)("$label", (major) => {
  beforeEach(() => exporter.reset());

  it("smoke", async () => {
    const pair = await major.connect();
    const result = await pair.client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    await pair.close();
    expect(result.content[0]?.text).toBe("sunny in Oslo");
    console.log(spans().map((s) => [s.name, s.kind === SpanKind.CLIENT ? "CLIENT" : s.kind, s.spanContext().spanId, s.parentSpanContext?.spanId, JSON.stringify(s.attributes)]));
  });
});
