import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The Go binaries the end-to-end tests run, built and cached by `scripts/go-tools.sh`. */
export interface GoBinaries {
  /** The Telltale collector distribution built from deploy/collector/builder-config.yaml. */
  otelcol: string;
  /** Jaeger v2 (cmd/jaeger). */
  jaeger: string;
  /** Prometheus (cmd/prometheus), the metrics backend of the span metrics and the apps' GenAI metrics. */
  prometheus: string;
  /** promtool (cmd/promtool) of the same release, which checks alert rule files. */
  promtool: string;
}

const ENV_NAMES: Record<keyof GoBinaries, string> = {
  otelcol: "TELLTALE_OTELCOL_BIN",
  jaeger: "TELLTALE_JAEGER_BIN",
  prometheus: "TELLTALE_PROMETHEUS_BIN",
  promtool: "TELLTALE_PROMTOOL_BIN",
};

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let cached: GoBinaries | undefined;

const complete = (found: Partial<GoBinaries>): found is GoBinaries =>
  (Object.keys(ENV_NAMES) as (keyof GoBinaries)[]).every((name) => Boolean(found[name]) && existsSync(found[name]!));

/**
 * Where the binaries are: `./run test` exports TELLTALE_OTELCOL_BIN, TELLTALE_JAEGER_BIN, TELLTALE_PROMETHEUS_BIN
 * and TELLTALE_PROMTOOL_BIN; a direct `vitest run test/e2e` asks the same script, which returns at once when the
 * binaries are cached (and builds them otherwise, so the first run on a machine takes minutes).
 */
export function goBinaries(): GoBinaries {
  if (cached) return cached;
  const fromEnv = Object.fromEntries(
    Object.entries(ENV_NAMES).map(([name, variable]) => [name, process.env[variable]]),
  ) as Partial<GoBinaries>;
  if (complete(fromEnv)) {
    cached = fromEnv;
    return cached;
  }
  const output = execFileSync("bash", [path.join(REPO_ROOT, "scripts/go-tools.sh"), "--json"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const parsed = JSON.parse(output.trim()) as Partial<GoBinaries>;
  if (!complete(parsed)) throw new Error(`scripts/go-tools.sh returned no binaries: ${output}`);
  cached = parsed;
  return cached;
}
