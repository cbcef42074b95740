// CommonJS twin of loader-hook.mjs, deliberately empty: a CommonJS app is patched by the require hook that the
// instrumentations install. Registering the ESM loader from a `-r` preload makes Node 24 initialise
// import-in-the-middle twice (a process warning), so ES module apps preload with `--import @telltale/node/register`.
"use strict";
