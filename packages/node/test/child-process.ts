// Runs a fixture in a child Node process with only the variables a test gives (an OTEL_* or TELLTALE_* from the
// developer's shell must not change what the child does), and records when each stdout line and the exit arrived.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const fixtures = path.join(packageDir, "test", "fixtures");

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Date.now() when the child exited. */
  exitedAt: number;
}

export interface ChildControl {
  /** Called with all stdout so far whenever more arrives. */
  onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
}

export function runChild(args: string[], env: Record<string, string>, control: ChildControl = {}): Promise<ChildResult> {
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("OTEL_") && !key.startsWith("TELLTALE_") && key !== "ANTHROPIC_OPEN_TELEMETRY",
    ),
  ) as Record<string, string>;
  const child = spawn(process.execPath, args, { cwd: packageDir, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    control.onStdout?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr, exitedAt: Date.now() })),
  );
}

/** The JSON lines a fixture printed. */
export function events<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as T);
}
