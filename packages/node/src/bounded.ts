/**
 * Waiting on work for a bounded time. The timer is deliberately not unref'd: while a shutdown waits, it holds the
 * process (the exports it waits on may only have unref'd backoff timers), and it is cleared as soon as the work
 * settles, so it never holds the process past the timeout.
 */

/** Resolves true when `work` settles within `ms`, false when the time runs out first (the work goes on). */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}

/** The time kept back from a shutdown timeout to count, after aborting, what the abort left undelivered. */
export function abortGraceMs(timeoutMs: number): number {
  return Math.min(250, Math.floor(timeoutMs / 5));
}
