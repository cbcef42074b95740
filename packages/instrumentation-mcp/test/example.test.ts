// The README's runnable example, run verbatim (`node example/tools.cjs` in this package's folder): each tool call is
// a CLIENT and a SERVER span, the server's the child of the client's, the failed one named on both.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("example/tools.cjs", () => {
  it("prints both sides of each call, linked, with the failure on both", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["example/tools.cjs"], { cwd: packageDir, timeout: 60_000 });
    const lines = stdout.trim().split("\n");
    const calls = lines.filter((line) => line.includes(" tools/call get_weather "));
    expect(calls).toHaveLength(4);
    for (const server of calls.filter((line) => line.startsWith("SERVER "))) {
      const parent = /parent=(\w+)/.exec(server)?.[1];
      expect(calls.some((line) => line.startsWith("CLIENT ") && line.includes(`span=${parent} `))).toBe(true);
    }
    const failed = calls.filter((line) => line.includes("error.type=tool_error telltale.soft_error=tool_is_error telltale.soft_error.detail=no station in Atlantis"));
    expect(failed.map((line) => line.split(" ")[0]).sort()).toEqual(["CLIENT", "SERVER"]);
  });
});
