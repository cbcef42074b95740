/**
 * `import "@telltale/node/register"`, `require("@telltale/node/register")` or
 * `node --import @telltale/node/register app.js`: starts Telltale from the environment.
 *
 * The ESM loader hook lives in a plain file reached through the package's own name (`@telltale/node/loader-hook`):
 * it needs `import.meta.url`, which the CJS build of this file cannot contain, and a bare specifier stays external
 * in both builds. It is imported first, so it is registered before anything below can import an SDK.
 */
import "@telltale/node/loader-hook";
import { start } from "./sdk.js";

export const sdk = start();
