#!/usr/bin/env node
// Builds one workspace package (run from its folder): each entry in package.json "telltale.entries"
// (default: { "index": "src/index.ts" }) is bundled twice by esbuild, to dist/<name>.mjs (import) and
// dist/<name>.cjs (require), with every dependency left external so users dedupe them; then tsc emits
// the declarations to dist/types. One bundle per entry keeps the published output small and means the
// CJS and ESM copies never import each other.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8"));
const entries = pkg.telltale?.entries ?? { index: "src/index.ts" };
const banner = pkg.telltale?.banner ?? {};

rmSync(path.join(cwd, "dist"), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node22",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};

await Promise.all(
  Object.entries(entries).flatMap(([name, file]) => [
    build({
      ...common,
      entryPoints: { [name]: file },
      format: "esm",
      outdir: "dist",
      outExtension: { ".js": ".mjs" },
      banner: banner[name] ? { js: banner[name] } : undefined,
    }),
    build({
      ...common,
      entryPoints: { [name]: file },
      format: "cjs",
      outdir: "dist",
      outExtension: { ".js": ".cjs" },
      banner: banner[name] ? { js: banner[name] } : undefined,
    }),
  ]),
);

if (existsSync(path.join(cwd, "tsconfig.build.json"))) {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit", cwd });
}
