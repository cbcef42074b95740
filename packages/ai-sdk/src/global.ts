/**
 * The app-wide part of the setup, for `@telltale/node`: on `ai` 7, Telltale's telemetry integration joins the
 * AI SDK's globally registered ones (what `registerTelemetry` does: it appends to the documented global
 * `AI_SDK_TELEMETRY_INTEGRATIONS`). `ai` is looked up from the app, never loaded here. `ai` 5 and 6 have no global
 * hook that carries a trace context into a run: they take the middleware and `agentRun` instead.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { isTelltaleTelemetry, telltaleTelemetry, type TelltaleTelemetryOptions } from "./telemetry.js";

/** What {@link registerGlobalTelemetry} did. */
export type GlobalRegistration =
  | { status: "registered"; aiVersion: string }
  | { status: "already_registered"; aiVersion: string }
  /** ai 5 or 6: use `telltaleMiddleware()`, `instrumentTools()` and `agentRun()`. */
  | { status: "unsupported_major"; aiVersion: string }
  | { status: "ai_not_found" };

interface AiGlobals {
  AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[];
}

/** The version of the `ai` package the app at `from` (a directory) resolves, if any. */
export function installedAiVersion(from: string = process.cwd()): string | undefined {
  try {
    const appRequire = createRequire(path.join(path.resolve(from), "package.json"));
    const version = (appRequire("ai/package.json") as { version?: unknown }).version;
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Registers `telltaleTelemetry(options)` globally when the app's `ai` is major 7 or later (once per process, however
 * often it is called).
 */
export function registerGlobalTelemetry(options: TelltaleTelemetryOptions & { from?: string } = {}): GlobalRegistration {
  const aiVersion = installedAiVersion(options.from);
  if (aiVersion === undefined) return { status: "ai_not_found" };
  const major = Number.parseInt(aiVersion.split(".")[0] ?? "", 10);
  if (!(major >= 7)) return { status: "unsupported_major", aiVersion };
  const globals = globalThis as AiGlobals;
  const registered = globals.AI_SDK_TELEMETRY_INTEGRATIONS ?? [];
  if (registered.some(isTelltaleTelemetry)) return { status: "already_registered", aiVersion };
  globals.AI_SDK_TELEMETRY_INTEGRATIONS = [...registered, telltaleTelemetry(options)];
  return { status: "registered", aiVersion };
}
