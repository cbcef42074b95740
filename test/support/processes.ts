import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it; we release it for the child to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

const MAX_LOG_CHARS = 64_000;
const liveGroups = new Set<number>();

// A crashed or interrupted test run must not leave collectors or Jaeger behind holding ports.
process.once("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A child process in its own process group, so stopping it also stops anything it started. */
export class ManagedProcess {
  private readonly child: ChildProcess;
  private output = "";
  private readonly exited: Promise<number | null>;
  private exitStatus: number | null | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = spawn(command, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-MAX_LOG_CHARS);
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    if (this.child.pid !== undefined) liveGroups.add(this.child.pid);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code) => {
        this.exitStatus = code;
        if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
        resolve(code);
      });
      this.child.once("error", (error) => {
        append(Buffer.from(`spawn error: ${error.message}\n`));
        this.exitStatus = -1;
        resolve(-1);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The exit code once exited (null when killed by a signal), undefined while running. */
  get exitCode(): number | null | undefined {
    return this.exitStatus;
  }

  /** Resolves when the process has exited. */
  async waitForExit(): Promise<void> {
    await this.exited;
  }

  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  logs(): string {
    return this.output;
  }

  /** SIGTERM to the group, SIGKILL if it has not exited after `graceMs`. Safe to call more than once. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL to the group: a crash, for fault tests. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal("SIGKILL");
    await this.exited;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // the group is already gone
    }
  }
}

/**
 * Polls `url` until it answers 2xx. Fails fast, with the process's output, if the process exits first; fails with
 * the output after `timeoutMs`.
 */
export async function waitUntilHealthy(processToWatch: ManagedProcess, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (!processToWatch.running) {
      throw new Error(`${processToWatch.name} exited before it was healthy:\n${processToWatch.logs()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await delay(100);
  }
  throw new Error(`${processToWatch.name} not healthy at ${url} after ${timeoutMs} ms (${lastProblem}):\n${processToWatch.logs()}`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value other than undefined, at most `timeoutMs`; the bounded wait the e2e tests
 * use instead of sleeping for a fixed time.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}
