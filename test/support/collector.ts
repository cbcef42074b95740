import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { goBinaries } from "./go-binaries.js";
import { freePorts, ManagedProcess, waitUntilHealthy } from "./processes.js";

/** Loopback ports a collector listens on, chosen free at run time. */
export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  health: number;
}

export type ConfigObject = Record<string, unknown>;

export interface StartCollectorOptions {
  /** Shown in failure messages. */
  name?: string;
  /** Config files as users run them (e.g. files in deploy/), merged left to right by the collector. */
  configFiles?: readonly string[];
  /** Config written at run time, merged after `configFiles`; gets the ports chosen for this collector. */
  config?: (ports: CollectorPorts) => ConfigObject;
  /** Environment for `${env:…}` references in the configs. */
  env?: Record<string, string>;
  /**
   * A loopback port for the collector's own metrics (Prometheus text format at `/metrics`, detailed level): the load
   * test reads them. Without it the collector runs no self-telemetry server.
   */
  telemetryMetricsPort?: number;
}

export interface RunningCollector {
  readonly name: string;
  readonly ports: CollectorPorts;
  /** Base URL of the OTLP/HTTP receiver; traces go to `${otlpHttpUrl}/v1/traces`. */
  readonly otlpHttpUrl: string;
  /** host:port of the OTLP/gRPC receiver. */
  readonly otlpGrpcEndpoint: string;
  /** The newest process (changes on restart). */
  readonly process: ManagedProcess;
  /** Graceful stop (SIGTERM, the collector flushes what it holds). */
  stop(): Promise<void>;
  /** Crash: SIGKILL, nothing flushed. */
  kill(): Promise<void>;
  /** Starts a new process with the same config and ports, and waits until it is healthy. */
  restart(): Promise<void>;
}

/**
 * The part of every test collector's config the harness owns: the receiver and health-check endpoints on the
 * chosen loopback ports, and no self-telemetry server unless asked for one on its own port (the default port would
 * be shared by every collector).
 */
function harnessOverrides(ports: CollectorPorts, telemetryMetricsPort?: number): ConfigObject {
  const metrics =
    telemetryMetricsPort === undefined
      ? { level: "none" }
      : { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "127.0.0.1", port: telemetryMetricsPort } } } }] };
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${ports.otlpGrpc}` },
          http: { endpoint: `127.0.0.1:${ports.otlpHttp}` },
        },
      },
    },
    extensions: { health_check: { endpoint: `127.0.0.1:${ports.health}` } },
    service: { telemetry: { metrics, logs: { level: "warn" } } },
  };
}

/** Writes a config object as YAML (JSON is valid YAML, and the collector's file provider reads it). */
export function writeConfigFile(directory: string, fileName: string, config: ConfigObject): string {
  const file = path.join(directory, fileName);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** `otelcol validate --config …`: the real binary's verdict on a config (exit code and output). */
export async function validateCollectorConfig(
  configFiles: readonly string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const child = new ManagedProcess(
    "otelcol validate",
    goBinaries().otelcol,
    ["validate", ...configFiles.flatMap((file) => ["--config", file])],
    env,
  );
  await child.waitForExit();
  return { ok: child.exitCode === 0, output: child.logs() };
}

export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const name = options.name ?? "collector";
  const [otlpGrpc, otlpHttp, health] = await freePorts(3);
  const ports: CollectorPorts = { otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, health: health! };
  const directory = mkdtempSync(path.join(tmpdir(), `telltale-${name.replace(/[^a-z0-9-]/gi, "_")}-`));
  const files = [...(options.configFiles ?? [])];
  if (options.config) files.push(writeConfigFile(directory, "config.yaml", options.config(ports)));
  files.push(writeConfigFile(directory, "harness.yaml", harnessOverrides(ports, options.telemetryMetricsPort)));
  const args = files.flatMap((file) => ["--config", file]);
  const healthUrl = `http://127.0.0.1:${ports.health}/`;

  const launch = async (): Promise<ManagedProcess> => {
    const child = new ManagedProcess(name, goBinaries().otelcol, args, options.env ?? {});
    try {
      await waitUntilHealthy(child, healthUrl);
    } catch (error) {
      await child.stop();
      throw error;
    }
    return child;
  };

  let current = await launch();
  return {
    name,
    ports,
    otlpHttpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpcEndpoint: `127.0.0.1:${ports.otlpGrpc}`,
    get process() {
      return current;
    },
    stop: () => current.stop(),
    kill: () => current.kill(),
    async restart() {
      await current.stop();
      current = await launch();
    },
  };
}
