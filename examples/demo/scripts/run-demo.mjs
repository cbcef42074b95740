#!/usr/bin/env node
// `pnpm demo` (and `./run demo`): builds the demo and the packages it uses, quietly (their output is shown only if a
// build fails), then runs the demo with the given arguments.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const demoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(demoDir, "../..");
const pnpm = process.env.npm_execpath;
// Under `pnpm run`, npm_execpath is pnpm itself: a JS file to run with this Node, or a standalone binary.
const [command, prefix] = !pnpm
  ? ["pnpm", []]
  : /\.[cm]?js$/.test(pnpm)
    ? [process.execPath, [pnpm]]
    : [pnpm, []];

// "@telltale/example-demo..." selects the demo and every workspace package it depends on, in dependency order.
const build = spawnSync(command, [...prefix, "--filter", "@telltale/example-demo...", "run", "build"], {
  cwd: repoRoot,
  encoding: "utf8",
});
if (build.status !== 0) {
  process.stderr.write(build.stdout ?? "");
  process.stderr.write(build.stderr ?? "");
  process.stderr.write(String(build.error ?? "demo build failed\n"));
  process.exit(build.status ?? 1);
}
const demo = spawnSync(process.execPath, [path.join(demoDir, "dist/demo.mjs"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(demo.status ?? 1);
