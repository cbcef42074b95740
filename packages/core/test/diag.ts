// Collects what core reports through the OpenTelemetry diag logger, for the tests that check a bad option or input
// is reported (once, naming it and its value) rather than silently reinterpreted.
import { diag, DiagLogLevel } from "@opentelemetry/api";

export interface DiagMessages {
  /** Every warning so far, in order. */
  readonly warnings: string[];
  /** The warnings that contain every one of `parts`. */
  matching(...parts: string[]): string[];
}

export function collectDiag(): DiagMessages {
  const warnings: string[] = [];
  const keep = (message: string): void => {
    warnings.push(message);
  };
  diag.setLogger(
    { error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return {
    warnings,
    matching: (...parts) => warnings.filter((message) => parts.every((part) => message.includes(part))),
  };
}
