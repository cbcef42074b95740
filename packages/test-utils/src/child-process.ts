/** Runs a Node child process the way the suites' app tests do, and collects what it printed. */
import { spawn } from "node:child_process";

/** How a child exited, and everything it wrote to stdout and stderr. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Date.now() when the child exited. */
  exitedAt: number;
}

export interface RunNodeOptions {
  cwd: string;
  /** The child's whole environment: nothing of the parent's is added. */
  env: Record<string, string>;
  /** Called with all stdout so far whenever more arrives. */
  onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
}

/** Runs `node ...args` (this process's own Node binary) with stdin closed, and resolves once it exits. */
export function runNode(args: readonly string[], options: RunNodeOptions): Promise<ChildRun> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    options.onStdout?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr, exitedAt: Date.now() })));
}
