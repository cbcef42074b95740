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
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let cached: GoBinaries | undefined;

/**
 * Where the binaries are: `./run test` exports TELLTALE_OTELCOL_BIN and TELLTALE_JAEGER_BIN; a direct
 * `vitest run test/e2e` asks the same script, which returns at once when the binaries are cached (and builds them
 * otherwise, so the first run on a machine takes minutes).
 */
export function goBinaries(): GoBinaries {
  if (cached) return cached;
  const fromEnv = { otelcol: process.env.TELLTALE_OTELCOL_BIN, jaeger: process.env.TELLTALE_JAEGER_BIN };
  if (fromEnv.otelcol && fromEnv.jaeger && existsSync(fromEnv.otelcol) && existsSync(fromEnv.jaeger)) {
    cached = { otelcol: fromEnv.otelcol, jaeger: fromEnv.jaeger };
    return cached;
  }
  const output = execFileSync("bash", [path.join(REPO_ROOT, "scripts/go-tools.sh"), "--json"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const parsed = JSON.parse(output.trim()) as Partial<GoBinaries>;
  if (!parsed.otelcol || !parsed.jaeger) throw new Error(`scripts/go-tools.sh returned no binaries: ${output}`);
  cached = { otelcol: parsed.otelcol, jaeger: parsed.jaeger };
  return cached;
}
