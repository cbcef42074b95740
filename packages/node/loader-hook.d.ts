// Side effect only: registers the OpenTelemetry ESM loader hook.
export {};
