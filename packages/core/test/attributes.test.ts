import { describe, expect, it } from "vitest";
import * as attributes from "@telltale/core/attributes";

describe("attribute module", () => {
  it("puts every telltale name under the telltale. namespace", () => {
    const ours = Object.entries(attributes).filter(([key]) => key.startsWith("ATTR_TELLTALE_"));
    expect(ours.length).toBeGreaterThan(30);
    for (const [, value] of ours) expect(value).toMatch(/^telltale\.[a-z_.]+$/);
  });
  it("re-exports the GenAI semantic convention names", () => {
    expect(attributes.ATTR_GEN_AI_OPERATION_NAME).toBe("gen_ai.operation.name");
    expect(attributes.ATTR_ERROR_TYPE).toBe("error.type");
    expect(attributes.METRIC_GEN_AI_CLIENT_TOKEN_USAGE).toBe("gen_ai.client.token.usage");
  });
});
