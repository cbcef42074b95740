// registerGlobalTelemetry, the app-wide setup @telltale/node runs: registered once on ai 7, declined on 5 and 6
// (with the version it found), nothing when the app has no `ai`; and the registered integration really traces.
import { registerGlobalTelemetry } from "@telltale/ai-sdk";
import { generateText } from "ai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { exporter, MAJORS, mockLlm, onlySpan, spans, until } from "./harness.js";

const packageDir = path.resolve(import.meta.dirname, "..");

/** A directory whose `ai` is the installed package `alias` (e.g. `ai-v5`). */
function appWith(alias: string): string {
  const app = mkdtempSync(path.join(tmpdir(), "telltale-ai-app-"));
  mkdirSync(path.join(app, "node_modules"));
  const installed = path.dirname(createRequire(path.join(packageDir, "package.json")).resolve(`${alias}/package.json`));
  symlinkSync(realpathSync(installed), path.join(app, "node_modules", "ai"), "dir");
  return app;
}

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

describe("registerGlobalTelemetry", () => {
  it("declines ai 5 and 6, and an app without ai", () => {
    expect(registerGlobalTelemetry({ from: appWith("ai-v5") })).toEqual({ status: "unsupported_major", aiVersion: expect.stringMatching(/^5\./) });
    expect(registerGlobalTelemetry({ from: appWith("ai-v6") })).toEqual({ status: "unsupported_major", aiVersion: expect.stringMatching(/^6\./) });
    expect(globalThis.AI_SDK_TELEMETRY_INTEGRATIONS ?? []).toHaveLength(0);
    // pnpm puts its store on NODE_PATH for the tests, where `ai` resolves from anywhere: an app without `ai` is a
    // process without that NODE_PATH.
    const noAi = mkdtempSync(path.join(tmpdir(), "telltale-no-ai-"));
    const script = `import(${JSON.stringify(path.join(packageDir, "dist", "index.mjs"))}).then((m) => console.log(JSON.stringify(m.registerGlobalTelemetry({ from: ${JSON.stringify(noAi)} }))))`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    const output = execFileSync(process.execPath, ["-e", script], { cwd: noAi, env, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({ status: "ai_not_found" });
  });

  it("registers once on ai 7, and the run is traced", async () => {
    expect(registerGlobalTelemetry({ from: packageDir, agentName: "global" }).status).toBe("registered");
    expect(registerGlobalTelemetry({ from: packageDir }).status).toBe("already_registered");
    expect(globalThis.AI_SDK_TELEMETRY_INTEGRATIONS).toHaveLength(1);
    const mock = await mockLlm();
    mock.enqueue({ kind: "error", error: "rate_limit", retryAfterMs: 5 }, { kind: "ok" });
    await generateText({ model: MAJORS[2]!.openai(mock, "gpt-4o"), prompt: "Hi" });
    await until(() => spans().some((span) => span.name === "invoke_agent global"), "the run span");
    const run = onlySpan("invoke_agent global");
    const call = onlySpan("chat gpt-4o");
    expect(call.parentSpanContext?.spanId).not.toBe(undefined);
    expect(call.attributes["telltale.attempt.status_codes"]).toEqual([429, 200]);
    expect(run.attributes["telltale.workflow.outcome"]).toBe("ok");
  });
});
