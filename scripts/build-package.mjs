#!/usr/bin/env node
// Builds one workspace package (run from its folder): each entry in package.json "telltale.entries"
// (default: { "index": "src/index.ts" }) is bundled twice by esbuild, to dist/<name>.mjs (import) and
// dist/<name>.cjs (require), with every dependency left external so users dedupe them; then tsc emits
// the declarations to dist/types. One bundle per entry keeps the published output small and means the
// CJS and ESM copies never import each other.
//
// A package with several public entries over one implementation (a user API at the root, plumbing on a subpath)
// names that implementation in "telltale.shared" (e.g. "src/internal.ts"): it is bundled once, to
// dist/internal.{mjs,cjs}, and each entry's `./internal.js` import stays a relative import of that file, so every
// entry hands out the same classes and state instead of a copy of its own.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8"));
const entries = pkg.telltale?.entries ?? { index: "src/index.ts" };
const banner = pkg.telltale?.banner ?? {};
const shared = pkg.telltale?.shared;
const sharedName = shared === undefined ? undefined : path.basename(shared, ".ts");

rmSync(path.join(cwd, "dist"), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node22",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};

/** Keeps an entry's import of the shared implementation a relative import of its build in the same format. */
function sharedExternal(extension) {
  return {
    name: "telltale-shared",
    setup(buildApi) {
      if (sharedName === undefined) return;
      const request = new RegExp(`^\\./${sharedName}\\.js$`);
      buildApi.onResolve({ filter: request }, () => ({ path: `./${sharedName}${extension}`, external: true }));
    },
  };
}

const builds = { ...entries, ...(sharedName === undefined ? {} : { [sharedName]: shared }) };
await Promise.all(
  Object.entries(builds).flatMap(([name, file]) =>
    [
      { format: "esm", extension: ".mjs" },
      { format: "cjs", extension: ".cjs" },
    ].map(({ format, extension }) =>
      build({
        ...common,
        entryPoints: { [name]: file },
        format,
        outdir: "dist",
        outExtension: { ".js": extension },
        banner: banner[name] ? { js: banner[name] } : undefined,
        // The shared implementation itself is bundled whole; only the entries point at it.
        plugins: name === sharedName ? [] : [sharedExternal(extension)],
      }),
    ),
  ),
);

// esbuild's CJS output exports through getters (live bindings), two levels deep: every `core.ATTR_…` or
// `common.fieldsOf` read by another Telltale package on its hot path is two getter calls. Nothing exported is
// reassigned (no `export let`) and the packages have no require cycles, so the exports are assigned once, at the
// end of the module, as plain values. The line is replaced in place, so the source map stays aligned above it.
const TO_COMMONJS = /^module\.exports = __toCommonJS\((\w+)\);$/m;
const SOURCE_MAP_COMMENT = /^\/\/# sourceMappingURL=.*$/m;
for (const name of Object.keys(builds)) {
  const file = path.join(cwd, "dist", `${name}.cjs`);
  const text = readFileSync(file, "utf8");
  const match = TO_COMMONJS.exec(text);
  // An entry that exports nothing (a CLI) has no exports object.
  if (match === null) continue;
  const snapshot =
    `module.exports = ((mod) => { const plain = {}; Object.defineProperty(plain, "__esModule", { value: true }); ` +
    `for (const key of Object.getOwnPropertyNames(mod)) plain[key] = mod[key]; return plain; })(${match[1]});\n`;
  if (!SOURCE_MAP_COMMENT.test(text)) throw new Error(`${file}: no source map comment; update build-package.mjs`);
  const updated = text
    .replace(TO_COMMONJS, "// module.exports: assigned at the end, once the module body has run")
    .replace(SOURCE_MAP_COMMENT, (line) => `${snapshot}${line}`);
  writeFileSync(file, updated);
}

if (existsSync(path.join(cwd, "tsconfig.build.json"))) {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit", cwd });
}
