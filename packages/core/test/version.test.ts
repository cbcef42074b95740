import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "@telltale/core";
import { SCOPE_NAME } from "@telltale/core/instrumentation";

describe("scope", () => {
  it("names spans and metrics after the package and its version", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };
    expect(SCOPE_NAME).toBe(manifest.name);
    expect(VERSION).toBe(manifest.version);
  });
});
