/** A fixture app of `@telltale/node` run as a user runs one: the one-line setup, our variables only. */
import path from "node:path";
import { runNode, type ChildRun } from "@telltale/test-utils/child-process";
import { REPO_ROOT } from "./go-binaries.js";

const NODE_PACKAGE = path.join(REPO_ROOT, "packages/node");

/** The parent's environment without any OTEL_* or TELLTALE_* variable: one from the developer's shell must not change
 * what a child does. */
export function environmentWithoutTelemetry(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_") && !key.startsWith("TELLTALE_")),
  ) as Record<string, string>;
}

export type AppRun = ChildRun;

/**
 * Runs `fixture` (a path under packages/node) with `node --import @telltale/node/register` from that package, so the
 * register hook resolves as it does in an app that installed it, with `env` over {@link environmentWithoutTelemetry}.
 */
export function runTelltaleApp(fixture: string, env: Record<string, string>): Promise<AppRun> {
  return runNode(["--import", "@telltale/node/register", fixture], { cwd: NODE_PACKAGE, env: { ...environmentWithoutTelemetry(), ...env } });
}
