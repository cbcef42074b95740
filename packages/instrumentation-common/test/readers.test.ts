// The shared readers of untyped SDK objects, and the server address of a client's base URL.
import { fieldsOf, itemsOf, jsonTextOf, numberOf, serverOfBaseUrl, stringOf } from "@telltale/instrumentation-common";
import { describe, expect, it } from "vitest";

describe("readers", () => {
  it("read only values of the expected type", () => {
    expect(fieldsOf({ a: 1 })).toEqual({ a: 1 });
    expect(fieldsOf([1])).toBeUndefined();
    expect(fieldsOf(null)).toBeUndefined();
    expect(itemsOf([1, 2])).toEqual([1, 2]);
    expect(itemsOf("12")).toEqual([]);
    expect(stringOf("x")).toBe("x");
    expect(stringOf(1)).toBeUndefined();
    expect(numberOf(3)).toBe(3);
    expect(numberOf(Number.NaN)).toBeUndefined();
    expect(numberOf("3")).toBeUndefined();
  });

  it("jsonTextOf keeps strings and serializes the rest, never throwing", () => {
    expect(jsonTextOf("plain")).toBe("plain");
    expect(jsonTextOf({ city: "Oslo" })).toBe('{"city":"Oslo"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonTextOf(cyclic)).toBe("");
  });

  it("serverOfBaseUrl gives host and port, defaulting the port by scheme", () => {
    expect(serverOfBaseUrl("http://127.0.0.1:4010/v1")).toEqual({ serverAddress: "127.0.0.1", serverPort: 4010 });
    expect(serverOfBaseUrl("https://api.anthropic.com")).toEqual({ serverAddress: "api.anthropic.com", serverPort: 443 });
    expect(serverOfBaseUrl("http://proxy.local")).toEqual({ serverAddress: "proxy.local", serverPort: 80 });
    expect(serverOfBaseUrl("not a url")).toEqual({});
    expect(serverOfBaseUrl(undefined)).toEqual({});
  });
});
