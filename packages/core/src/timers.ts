/** The longest delay a Node timer takes as it is (2^31 - 1 ms): a longer one fires after 1 ms, with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/** A pending {@link callAt}; `cancel` is idempotent. */
export interface LongTimer {
  cancel(): void;
}

/**
 * Calls `fire` once the wall clock reaches `at` (epoch ms; on the next turn if it has passed). Node's `setTimeout` takes at
 * most 2^31 - 1 ms (about 24.8 days) and turns anything longer into 1 ms with a `TimeoutOverflowWarning`: a longer
 * wait is armed in steps of at most that, re-armed each time until `at`. A timer that only watches over user work
 * (a deadline, a timeout) does not keep the process alive (`keepAlive: false`); a wait the user's work is in (a retry
 * backoff) does, as the `setTimeout` it stands for would.
 */
export function callAt(at: number, fire: () => void, keepAlive: boolean): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const fireOnce = (): void => {
    timer = undefined;
    if (!cancelled) fire();
  };
  const arm = (): void => {
    const wait = Math.max(0, Math.ceil(at - Date.now()));
    // Past Node's limit: wait as long as it allows, then look again.
    timer = wait > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fireOnce, wait);
    if (!keepAlive) timer.unref();
  };
  arm();
  return {
    cancel(): void {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Resolves after `ms` (any length; the process stays alive meanwhile), or rejects with `signal.reason` once
 * `signal` aborts. */
export function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let timer: LongTimer | undefined;
    const onAbort = (): void => {
      timer?.cancel();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    timer = callAt(
      Date.now() + ms,
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      true,
    );
  });
}
