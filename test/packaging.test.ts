// What users get from the registry: every workspace package is packed with `npm pack`, all tarballs are installed
// together into one scratch project outside the repository with the machine's npm, and each entry point must load
// both through `import` and through `require`, exposing the same names as the package's own build.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = path.join(repoRoot, "packages");

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface WorkspacePackage {
  dir: string;
  manifest: PackageJson;
}

/** Every publishable package under packages/ (discovered, never listed by hand). */
function discoverPackages(): WorkspacePackage[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(packagesDir, entry.name, "package.json")))
    .map((entry) => {
      const dir = path.join(packagesDir, entry.name);
      return { dir, manifest: JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson };
    })
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** The entry points a user can import: "." and every subpath with both an `import` and a `require` condition. */
function entryPoints(manifest: PackageJson): { specifier: string; subpath: string; importTarget: string }[] {
  const exportsMap = manifest.exports ?? { ".": {} };
  return Object.entries(exportsMap)
    .filter(([subpath, target]) => subpath !== "./package.json" && typeof target === "object" && target !== null)
    .flatMap(([subpath, target]) => {
      const conditions = target as Record<string, unknown>;
      const importCondition = conditions.import as Record<string, unknown> | string | undefined;
      if (importCondition === undefined || conditions.require === undefined) return [];
      const importTarget = typeof importCondition === "string" ? importCondition : (importCondition.default as string);
      const specifier = subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      return [{ specifier, subpath, importTarget }];
    });
}

/** `workspace:` ranges mean nothing outside the monorepo: the staged manifest names the sibling's real version. */
function publishedManifest(manifest: PackageJson, versions: Map<string, string>): PackageJson {
  const rewrite = (deps: Record<string, string> | undefined): Record<string, string> | undefined =>
    deps &&
    Object.fromEntries(
      Object.entries(deps).map(([name, range]) => [name, range.startsWith("workspace:") ? (versions.get(name) ?? range) : range]),
    );
  return {
    ...manifest,
    dependencies: rewrite(manifest.dependencies),
    peerDependencies: rewrite(manifest.peerDependencies),
    optionalDependencies: rewrite(manifest.optionalDependencies),
  };
}

// The child processes load telemetry packages: keep any SDK they might start quiet and offline.
const childEnv = { ...process.env, OTEL_SDK_DISABLED: "true", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" };

function runNode(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, env: childEnv, encoding: "utf8", timeout: 30_000 });
}

const LIST_NAMES = "console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort()))";

function namesViaImport(specifier: string, cwd: string): string[] {
  const script = `import * as m from ${JSON.stringify(specifier)}; ${LIST_NAMES}`;
  return JSON.parse(runNode(["--input-type=module", "-e", script], cwd)) as string[];
}

function namesViaRequire(specifier: string, cwd: string): string[] {
  const script = `const m = require(${JSON.stringify(specifier)}); ${LIST_NAMES}`;
  return JSON.parse(runNode(["-e", script], cwd)) as string[];
}

function typeViaRequire(specifier: string, name: string, cwd: string): string {
  return runNode(["-e", `process.stdout.write(typeof require(${JSON.stringify(specifier)})[${JSON.stringify(name)}])`], cwd);
}

const packages = discoverPackages();
let scratch = "";

describe("published packages", () => {
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "telltale-packaging-"));
    const tarballs = path.join(scratch, "tarballs");
    const project = path.join(scratch, "project");
    const versions = new Map(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
    const dependencies: Record<string, string> = {};

    for (const pkg of packages) {
      if (!existsSync(path.join(pkg.dir, "dist"))) {
        throw new Error(`${pkg.manifest.name} has no dist/: build first (pnpm test builds every package)`);
      }
      // npm pack of a staged copy, so the tarball carries exactly what `files` selects and a publishable manifest.
      const stage = path.join(scratch, "stage", path.basename(pkg.dir));
      cpSync(pkg.dir, stage, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
      writeFileSync(path.join(stage, "package.json"), JSON.stringify(publishedManifest(pkg.manifest, versions), null, 2));
      const packed = JSON.parse(
        execFileSync("npm", ["pack", "--json", "--pack-destination", tarballs], { cwd: stage, encoding: "utf8" }),
      ) as { filename: string }[];
      dependencies[pkg.manifest.name] = `file:${path.join(tarballs, packed[0]!.filename)}`;
    }

    // One install of every tarball at once; overrides point each package at its own tarball wherever it is needed.
    const overrides = Object.fromEntries(Object.keys(dependencies).map((name) => [name, `$${name}`]));
    writeFileSync(
      path.join(project, "..", "project.json.tmp"),
      "",
    );
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "telltale-packaging-check", private: true, dependencies, overrides }, null, 2),
    );
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: project,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    scratch = project;
  }, 300_000);

  afterAll(() => {
    if (scratch) rmSync(path.dirname(scratch), { recursive: true, force: true });
  });

  it("finds the workspace packages", () => {
    expect(packages.map((pkg) => pkg.manifest.name)).toContain("@telltale/core");
  });

  for (const pkg of packages) {
    for (const entry of entryPoints(pkg.manifest)) {
      it(`${entry.specifier} loads through import and require with the names of its own build`, () => {
        const builtFile = pathToFileURL(path.join(pkg.dir, entry.importTarget)).href;
        const expected = namesViaImport(builtFile, pkg.dir);
        const viaImport = namesViaImport(entry.specifier, scratch);
        const viaRequire = namesViaRequire(entry.specifier, scratch);
        expect(viaImport).toEqual(expected);
        expect(viaRequire).toEqual(expected);
        if (entry.subpath === "." && expected.length > 0) {
          // Every main entry exports something callable.
          expect(expected.some((name) => typeViaRequire(entry.specifier, name, scratch) === "function")).toBe(true);
        }
      });
    }
  }

  it("@telltale/core exposes its API from the tarball", () => {
    expect(typeViaRequire("@telltale/core", "workflow", scratch)).toBe("function");
    expect(typeViaRequire("@telltale/core", "classifyError", scratch)).toBe("function");
    expect(runNode(["--input-type=module", "-e", "import { classifyError } from '@telltale/core'; process.stdout.write(classifyError(Object.assign(new Error('x'), { status: 429 })).errorClass)"], scratch)).toBe("rate_limit");
  });
});
