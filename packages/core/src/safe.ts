import { diag } from "@opentelemetry/api";

/**
 * Runs telemetry code so that a bug in Telltale can never surface in user code: a throw is reported through `diag`
 * and swallowed, and the fallback is returned instead.
 */
export function safely<T>(what: string, work: () => T, fallback: T): T;
export function safely(what: string, work: () => void): void;
export function safely<T>(what: string, work: () => T, fallback?: T): T | undefined {
  try {
    return work();
  } catch (failure) {
    diag.error(`@telltale/core: ${what} failed`, failure);
    return fallback;
  }
}
