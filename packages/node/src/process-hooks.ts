/**
 * SIGTERM/SIGINT: shut down (bounded by the shutdown timeout), then keep Node's default behaviour. Node exits on
 * these signals only when nobody listens, so once done we re-raise the signal if ours was the only listener; if the
 * app has its own, the app decides.
 * beforeExit: the event loop is empty (pending sampler decisions use unref'd timers), so decide and export now.
 */
export function installProcessHooks(shutdown: () => Promise<void>): () => void {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const name of signals) process.removeListener(name, onSignal);
    void shutdown().then(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = (): void => {
    process.removeListener("beforeExit", onBeforeExit);
    void shutdown();
  };
  for (const name of signals) process.on(name, onSignal);
  process.on("beforeExit", onBeforeExit);
  return () => {
    for (const name of signals) process.removeListener(name, onSignal);
    process.removeListener("beforeExit", onBeforeExit);
  };
}
