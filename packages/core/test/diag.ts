// Collects what core reports through the OpenTelemetry diag logger, for the tests that check a bad option or input
// is reported (once, naming it and its value) rather than silently reinterpreted.
import { diag, DiagLogLevel } from "@opentelemetry/api";

export interface DiagMessages {
  /** Every warning and error so far, in order: its string arguments joined (the component's namespace first). */
  readonly warnings: string[];
  /** The arguments of each, as the logger got them. */
  readonly entries: unknown[][];
  /** The warnings that contain every one of `parts`. */
  matching(...parts: string[]): string[];
}

export function collectDiag(): DiagMessages {
  const warnings: string[] = [];
  const entries: unknown[][] = [];
  const keep = (...args: unknown[]): void => {
    entries.push(args);
    warnings.push(args.filter((arg): arg is string => typeof arg === "string").join(" "));
  };
  diag.setLogger(
    { error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return {
    warnings,
    entries,
    matching: (...parts) => warnings.filter((message) => parts.every((part) => message.includes(part))),
  };
}
