/** The version of `@telltale/core`, used as the tracer and meter scope version. Kept equal to package.json (tested). */
export const VERSION = "0.1.0";

/** The instrumentation scope name of every span and metric core itself creates. */
export const SCOPE_NAME = "@telltale/core";
