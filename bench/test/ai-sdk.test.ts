// Smoke test for the bench's AI SDK section: each line ran, and made the spans it should (the counts prove each
// instrumentation really traced every measured call). Nothing here looks at how fast anything was.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const runScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "run.mjs");

interface AiSdkLine {
  usPerCall: number;
  spansPerCall: number;
  spanNames: string[];
  addedUsOverBare?: number;
}

describe("pnpm bench --sections aisdk (--quick)", () => {
  let outDir: string;
  let lines: Record<string, AiSdkLine>;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "telltale-bench-aisdk-"));
    await promisify(execFile)(process.execPath, [runScript, "--quick", "--sections", "aisdk", "--reps", "1", "--out", outDir], { timeout: 90_000 });
    lines = (JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8")) as { aiSdk: Record<string, AiSdkLine> }).aiSdk;
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("measures generateText bare and with Telltale, with the AI SDK's own telemetry off and on", () => {
    expect(Object.keys(lines).sort()).toEqual(["bare/off", "bare/on", "telltale-middleware/off", "telltale/off", "telltale/on"]);
    for (const line of Object.values(lines)) expect(line.usPerCall).toBeGreaterThan(0);
    expect(typeof lines["telltale/off"]!.addedUsOverBare).toBe("number");
    expect(typeof lines["telltale/on"]!.addedUsOverBare).toBe("number");
  });

  it("each line made exactly its spans for every measured call", () => {
    expect(lines["bare/off"]).toMatchObject({ spansPerCall: 0, spanNames: [] });
    expect(lines["telltale/off"]).toMatchObject({
      spansPerCall: 3,
      spanNames: ["chat gpt-4o-mini", "invoke_agent generateText", "step 1"],
    });
    expect(lines["telltale-middleware/off"]).toMatchObject({ spansPerCall: 2, spanNames: ["chat gpt-4o-mini", "invoke_agent bench"] });
    // The AI SDK's own spans come on top of Telltale's, never instead of them.
    expect(lines["telltale/on"]!.spansPerCall).toBe(3 + lines["bare/on"]!.spansPerCall);
  });
});
