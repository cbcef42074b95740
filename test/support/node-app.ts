/** A fixture app of `@telltale/node` run as a user runs one: the one-line setup, our variables only. */
import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./go-binaries.js";

const NODE_PACKAGE = path.join(REPO_ROOT, "packages/node");

/** The parent's environment without any OTEL_* or TELLTALE_* variable: one from the developer's shell must not change
 * what a child does. */
export function environmentWithoutTelemetry(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_") && !key.startsWith("TELLTALE_")),
  ) as Record<string, string>;
}

export interface AppRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fixture` (a path under packages/node) with `node --import @telltale/node/register` from that package, so the
 * register hook resolves as it does in an app that installed it, with `env` over {@link environmentWithoutTelemetry}.
 */
export function runTelltaleApp(fixture: string, env: Record<string, string>): Promise<AppRun> {
  const child = spawn(process.execPath, ["--import", "@telltale/node/register", fixture], {
    cwd: NODE_PACKAGE,
    env: { ...environmentWithoutTelemetry(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}
