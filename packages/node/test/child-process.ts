// Runs a fixture in a child Node process with only the variables a test gives (an OTEL_*, TELLTALE_* or OPENAI_* from
// the developer's shell must not change what the child does), and records when each stdout line and the exit arrived.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runNode, type ChildRun, type RunNodeOptions } from "@telltale/test-utils/child-process";

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const fixtures = path.join(packageDir, "test", "fixtures");

export type ChildResult = ChildRun;

/** What a test may do while the child runs: watch its stdout, and kill it. */
export type ChildControl = Pick<RunNodeOptions, "onStdout">;

/** `env` over the parent's environment without those variables; a variable given as `undefined` is left unset. */
export function runChild(args: string[], env: Record<string, string | undefined>, control: ChildControl = {}): Promise<ChildResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(OTEL_|TELLTALE_|OPENAI_)/.test(key) && key !== "ANTHROPIC_OPEN_TELEMETRY") childEnv[key] = value;
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  return runNode(args, { cwd: packageDir, env: childEnv, onStdout: control.onStdout });
}

/** The JSON lines a fixture printed. */
export function events<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as T);
}
