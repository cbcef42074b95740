#!/usr/bin/env node
// Builds @telltale/sampler as it was at a commit (or as it is in the work tree), outside the workspace, so that
// two builds can be loaded side by side by the sampler probes:
//
//   node bench/src/sampler-build-at.mjs <commit | worktree> <out dir>
//   node bench/src/sampler-onend-probe.cjs <out dir A>/dist/index.cjs <out dir B>/dist/index.cjs
//
// The build's dependencies resolve through a node_modules link to the workspace's packages/sampler/node_modules
// (the same @telltale/core and OpenTelemetry copies for every build).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const [revision, outArg] = process.argv.slice(2);
if (!revision || !outArg) throw new Error("usage: sampler-build-at.mjs <commit | worktree> <out dir>");
const out = path.resolve(outArg);
const parts = ["src", "conformance", "package.json"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
if (revision === "worktree") {
  for (const part of parts) cpSync(path.join(root, "packages/sampler", part), path.join(out, part), { recursive: true });
} else {
  const archive = execFileSync("git", ["archive", revision, ...parts.map((part) => `packages/sampler/${part}`)], { cwd: root });
  execFileSync("tar", ["-x", "--strip-components=2", "-C", out], { input: archive });
}
symlinkSync(path.join(root, "packages/sampler/node_modules"), path.join(out, "node_modules"), "dir");
execFileSync(process.execPath, [path.join(root, "scripts/build-package.mjs")], { cwd: out, stdio: "inherit" });
process.stdout.write(`${path.join(out, "dist/index.cjs")}\n`);
