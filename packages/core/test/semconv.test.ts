import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as incubating from "@opentelemetry/semantic-conventions/incubating";
import * as core from "@telltale/core/attributes";
import { describe, expect, it } from "vitest";

const distFile = (file: string): string => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

describe("the unstable semantic-convention names core copies", () => {
  it("have the incubating entry point's values", () => {
    const upstream = incubating as Record<string, unknown>;
    const copied = Object.entries(core).filter(([name]) => name in upstream);
    expect(copied.map(([name]) => name)).toEqual(expect.arrayContaining(["ATTR_GEN_AI_OPERATION_NAME", "METRIC_GEN_AI_CLIENT_TOKEN_USAGE"]));
    expect(copied.length).toBeGreaterThan(30);
    for (const [name, value] of copied) expect({ name, value }).toEqual({ name, value: upstream[name] });
  });

  it("are all there is of them at runtime: neither build loads the incubating entry point (~3 MB of heap)", () => {
    for (const file of ["internal.cjs", "internal.mjs", "attributes.cjs", "attributes.mjs"]) expect(readFileSync(distFile(file), "utf8")).not.toContain("semantic-conventions/incubating");
  });
});
