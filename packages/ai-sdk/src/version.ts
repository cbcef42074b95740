/** This package's version (kept in step with package.json). */
export const VERSION = "0.1.0";
/** The instrumentation scope of every span this package starts. */
export const SCOPE_NAME = "@telltale/ai-sdk";
