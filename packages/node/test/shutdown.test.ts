// A shutdown that ends: with the OTLP backend down (connection refused) or hanging (accepts, never answers),
// shutdown() resolves within TELLTALE_SHUTDOWN_TIMEOUT_MS, the process exits right after (nothing it started keeps
// the event loop alive: exports aborted, timers cleared, sockets closed), and every kept span that was not delivered
// is counted as lost with its reason. Also through the beforeExit and SIGTERM paths. Real child processes, the real
// OTLP exporter path, loopback sockets only.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, fixtures, runChild } from "./child-process.js";

const TIMEOUT_MS = 1500;
const WORKFLOWS = 50;
/** A generous bound for "right after": the configured timeout again, for a loaded 2-core machine. Without the fix
 * the process lingered for the OTLP timeout given below (30 s), retries included. */
const EXIT_LAG_BOUND_MS = TIMEOUT_MS;

let hanging: Server;
const hangingSockets = new Set<Socket>();
let hangingUrl = "";
let refusedUrl = "";

beforeAll(async () => {
  // Accepts connections and reads requests but never answers.
  hanging = createServer((socket) => {
    hangingSockets.add(socket);
    socket.on("data", () => {});
    socket.on("close", () => hangingSockets.delete(socket));
  });
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  // A port that was just free: nothing listens there, so connections are refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  for (const socket of hangingSockets) socket.destroy();
  await new Promise<void>((resolve) => hanging.close(() => resolve()));
});

function appEnv(endpoint: string, mode: string): Record<string, string> {
  return {
    MODE: mode,
    WORKFLOWS: String(WORKFLOWS),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_TIMEOUT: "30000",
    OTEL_METRIC_EXPORT_INTERVAL: "60000",
    TELLTALE_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
  };
}

interface Reported {
  event: string;
  at: number;
  tookMs?: number;
  stats?: { tracesKept: number; spansExported: number; spansLost: number; lostSpansByReason: Record<string, number> };
}

const app = path.join(fixtures, "shutdown-app.mjs");

describe.each([
  ["down (connection refused)", () => refusedUrl],
  ["hanging (accepts, never answers)", () => hangingUrl],
])("with the OTLP backend %s", (_name, endpoint) => {
  it("shutdown() resolves within the timeout, the process exits right after, and the kept spans are counted lost", async () => {
    const result = await runChild([app], appEnv(endpoint(), "call"));

    expect(result.code).toBe(0);
    const [resolved] = events<Reported>(result.stdout);
    expect(resolved?.event).toBe("shutdown resolved");
    expect(resolved!.tookMs).toBeLessThanOrEqual(TIMEOUT_MS + 250);
    expect(result.exitedAt - resolved!.at).toBeLessThan(EXIT_LAG_BOUND_MS);
    // Every workflow failed, so every trace (a root span each) was kept; none reached the backend, all counted.
    expect(resolved!.stats?.tracesKept).toBe(WORKFLOWS);
    expect(resolved!.stats?.spansExported).toBe(0);
    expect(resolved!.stats!.spansLost).toBe(WORKFLOWS);
    const lost = resolved!.stats!.lostSpansByReason;
    expect(Object.values(lost).reduce((sum, count) => sum + count, 0)).toBe(WORKFLOWS);
    expect(result.stderr).toContain(`telltale: shutdown gave up after ${TIMEOUT_MS} ms`);
  });

  it("the beforeExit flush ends within the timeout too", async () => {
    const result = await runChild([app], appEnv(endpoint(), "beforeExit"));

    expect(result.code).toBe(0);
    const [done] = events<Reported>(result.stdout);
    expect(done?.event).toBe("app done");
    expect(result.exitedAt - done!.at).toBeLessThan(TIMEOUT_MS + EXIT_LAG_BOUND_MS);
  });

  it("SIGTERM ends the process within the timeout, by the signal as Node would", async () => {
    let signalledAt = 0;
    const result = await runChild([app], appEnv(endpoint(), "signal"), {
      onStdout: (stdout, kill) => {
        if (signalledAt === 0 && stdout.includes('"ready"')) {
          signalledAt = Date.now();
          kill("SIGTERM");
        }
      },
    });

    expect(signalledAt).toBeGreaterThan(0);
    expect(result.signal).toBe("SIGTERM");
    expect(result.exitedAt - signalledAt).toBeLessThan(TIMEOUT_MS + EXIT_LAG_BOUND_MS);
  });
});
