import { CORE_DIAG } from "./diag.js";

/** Reports a failure of Telltale's own telemetry code through `diag` (never rethrown into user code). */
export function reportFailure(what: string, failure: unknown): void {
  CORE_DIAG.error(`${what} failed`, failure);
}

/**
 * Runs telemetry code so that a bug in Telltale can never surface in user code: a throw is reported through `diag`
 * and swallowed, and the fallback is returned instead. Hot paths inline the same try/catch with
 * {@link reportFailure} instead, so that they allocate no closure per call.
 */
export function safely<T>(what: string, work: () => T, fallback: T): T;
export function safely(what: string, work: () => void): void;
export function safely<T>(what: string, work: () => T, fallback?: T): T | undefined {
  try {
    return work();
  } catch (failure) {
    reportFailure(what, failure);
    return fallback;
  }
}
