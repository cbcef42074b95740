import { describe, expect, it } from "vitest";
import { createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { bindContextValue } from "@telltale/core/instrumentation";

describe("bindContextValue", () => {
  const bound = createContextKey("bound");
  const other = createContextKey("other");
  const parent = ROOT_CONTEXT.setValue(other, "from parent");

  it("answers for its key and passes every other key to the parent", () => {
    const ctx = bindContextValue(parent, bound, "tracker");
    expect(ctx.getValue(bound)).toBe("tracker");
    expect(ctx.getValue(other)).toBe("from parent");
    expect(parent.getValue(bound)).toBeUndefined();
  });

  it("keeps its value in contexts derived from it, and lets them replace or delete it", () => {
    const ctx = bindContextValue(parent, bound, "tracker");
    const derived = ctx.setValue(other, "changed");
    expect(derived.getValue(bound)).toBe("tracker");
    expect(derived.getValue(other)).toBe("changed");
    expect(ctx.getValue(other)).toBe("from parent");
    expect(ctx.setValue(bound, "replaced").getValue(bound)).toBe("replaced");
    expect(ctx.deleteValue(other).getValue(bound)).toBe("tracker");
    expect(ctx.deleteValue(other).getValue(other)).toBeUndefined();
    // Deleting the bound key hides a value the parent had under it too.
    const shadowing = bindContextValue(parent.setValue(bound, "parent's"), bound, "tracker");
    expect(shadowing.deleteValue(bound).getValue(bound)).toBeUndefined();
  });
});
