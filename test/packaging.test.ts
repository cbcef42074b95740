// What users get from the registry: every workspace package is packed with `npm pack`, all tarballs are installed
// together into one scratch project outside the repository with the machine's npm, and each entry point must load
// both through `import` and through `require`, exposing the same names as the package's own build.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Every package under packages/ (discovered, never listed by hand), the private ones included. */
function discoverWorkspacePackages(): WorkspacePackage[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(packagesDir, entry.name, "package.json")))
    .map((entry) => {
      const dir = path.join(packagesDir, entry.name);
      return { dir, manifest: JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson };
    })
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

// npm inherits pnpm's own npm_config_* settings when the suite runs under pnpm; npm does not know them and warns.
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^npm_config_(manage_package_manager_versions|verify_deps_before_run)$/i.test(key),
  ),
);

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, env: npmEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function runNode(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, env: childEnv, encoding: "utf8", timeout: 30_000 });
}

/** Export name → typeof, as the child process sees the module. */
type ExportTypes = Record<string, string>;

const LIST_EXPORTS =
  "console.log(JSON.stringify(Object.fromEntries(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort().map((k) => [k, typeof m[k]]))))";

function exportsViaImport(specifier: string, cwd: string): ExportTypes {
  const script = `import * as m from ${JSON.stringify(specifier)}; ${LIST_EXPORTS}`;
  return JSON.parse(runNode(["--input-type=module", "-e", script], cwd)) as ExportTypes;
}

function exportsViaRequire(specifier: string, cwd: string): ExportTypes {
  const script = `const m = require(${JSON.stringify(specifier)}); ${LIST_EXPORTS}`;
  return JSON.parse(runNode(["-e", script], cwd)) as ExportTypes;
}

/** Every installed package under `node_modules` (nested copies included): its name, version and folder. */
function installedPackages(nodeModules: string): { name: string; version: string; dir: string }[] {
  if (!existsSync(nodeModules)) return [];
  const found: { name: string; version: string; dir: string }[] = [];
  const visit = (dir: string): void => {
    const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
    found.push({ name: manifest.name, version: manifest.version, dir });
    found.push(...installedPackages(path.join(dir, "node_modules")));
  };
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = path.join(nodeModules, entry.name);
    if (entry.name.startsWith("@")) {
      for (const scoped of readdirSync(dir, { withFileTypes: true })) {
        if (scoped.isDirectory()) visit(path.join(dir, scoped.name));
      }
    } else {
      visit(dir);
    }
  }
  return found;
}

/** Bytes of every file under `dir` (what `du --apparent-size` counts). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const target = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(target);
    else total += lstatSync(target).size;
  }
  return total;
}

/**
 * What `npm install @telltale/node @opentelemetry/api` installs, as the README says it (measured on this repo's
 * tarballs, npm 11, Node 24): 77 packages, 33.7 MB of files (with a second copy of the OpenTelemetry SDK packages,
 * before their versions were aligned, it was about 107 packages and 47 MB). The ceilings leave a little room for
 * patch releases of the dependencies; a new dependency or a second copy of a package has to move them on purpose.
 */
const NODE_INSTALL_MAX_PACKAGES = 80;
const NODE_INSTALL_MAX_BYTES = 36 * 1_000_000;

const workspacePackages = discoverWorkspacePackages();
/** What is published; a private package (the shared test harnesses) is never packed. */
const packages = workspacePackages.filter((pkg) => pkg.manifest.private !== true);
const privateNames = workspacePackages.filter((pkg) => pkg.manifest.private === true).map((pkg) => pkg.manifest.name);
let scratchRoot = "";
let project = "";
let nodeProject = "";

describe("published packages", () => {
  beforeAll(() => {
    scratchRoot = mkdtempSync(path.join(tmpdir(), "telltale-packaging-"));
    const tarballs = path.join(scratchRoot, "tarballs");
    project = path.join(scratchRoot, "project");
    mkdirSync(project, { recursive: true });
    mkdirSync(tarballs, { recursive: true });
    const versions = new Map(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
    const dependencies: Record<string, string> = {};

    for (const pkg of packages) {
      if (!existsSync(path.join(pkg.dir, "dist"))) {
        throw new Error(`${pkg.manifest.name} has no dist/: build first (pnpm test builds every package)`);
      }
      // npm pack of a staged copy, so the tarball carries exactly what `files` selects and a publishable manifest.
      const stage = path.join(scratchRoot, "stage", path.basename(pkg.dir));
      cpSync(pkg.dir, stage, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
      writeFileSync(path.join(stage, "package.json"), JSON.stringify(publishedManifest(pkg.manifest, versions), null, 2));
      const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", tarballs], stage)) as { filename: string }[];
      dependencies[pkg.manifest.name] = `file:${path.join(tarballs, packed[0]!.filename)}`;
    }

    // One install of every tarball at once; overrides point each package at its own tarball wherever it is needed.
    const overrides = Object.fromEntries(Object.keys(dependencies).map((name) => [name, `$${name}`]));
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "telltale-packaging-check", private: true, dependencies, overrides }, null, 2),
    );
    // --prefer-offline: take what npm's cache already holds instead of revalidating every package with the registry.
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);

    // A second project with only what the README tells a user to install: @telltale/node and the API.
    nodeProject = path.join(scratchRoot, "node-project");
    mkdirSync(nodeProject, { recursive: true });
    const apiRange = packages.find((pkg) => pkg.manifest.name === "@telltale/node")!.manifest.peerDependencies!["@opentelemetry/api"]!;
    writeFileSync(
      path.join(nodeProject, "package.json"),
      JSON.stringify(
        {
          name: "telltale-install-weight",
          private: true,
          dependencies: { "@telltale/node": dependencies["@telltale/node"], "@opentelemetry/api": apiRange },
          // The sibling packages come from their tarballs too (they are not direct dependencies here, so by path).
          overrides: dependencies,
        },
        null,
        2,
      ),
    );
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], nodeProject);
  }, 300_000);

  afterAll(() => {
    if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
  });

  it("finds the workspace packages", () => {
    expect(packages.map((pkg) => pkg.manifest.name)).toContain("@telltale/core");
  });

  it("packs no private package, and no published package needs one to install", () => {
    expect(privateNames).toContain("@telltale/test-utils");
    expect(packages.map((pkg) => pkg.manifest.name).filter((name) => privateNames.includes(name))).toEqual([]);
    const needed = packages.flatMap((pkg) =>
      Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies, ...pkg.manifest.optionalDependencies })
        .filter((name) => privateNames.includes(name))
        .map((name) => `${pkg.manifest.name} -> ${name}`),
    );
    expect(needed).toEqual([]);
  });

  for (const pkg of packages) {
    for (const entry of entryPoints(pkg.manifest)) {
      it(`${entry.specifier} loads through import and require with the names of its own build`, () => {
        const builtFile = pathToFileURL(path.join(pkg.dir, entry.importTarget)).href;
        const expected = exportsViaImport(builtFile, pkg.dir);
        expect(exportsViaImport(entry.specifier, project)).toEqual(expected);
        expect(exportsViaRequire(entry.specifier, project)).toEqual(expected);
        // Every main entry exports something callable.
        if (entry.subpath === ".") expect(Object.values(expected)).toContain("function");
      });
    }
  }

  it("npm install @telltale/node @opentelemetry/api stays within its measured weight, one copy of each OpenTelemetry package", () => {
    const installed = installedPackages(path.join(nodeProject, "node_modules"));
    const bytes = treeBytes(path.join(nodeProject, "node_modules"));
    console.log(`npm install @telltale/node @opentelemetry/api: ${installed.length} packages, ${(bytes / 1e6).toFixed(1)} MB`);
    const openTelemetry = installed.filter((pkg) => pkg.name.startsWith("@opentelemetry/"));
    const copies = new Map<string, string[]>();
    for (const pkg of openTelemetry) copies.set(pkg.name, [...(copies.get(pkg.name) ?? []), pkg.version]);
    expect([...copies].filter(([, versions]) => versions.length > 1)).toEqual([]);
    expect(copies.get("@opentelemetry/core")).toEqual(["3.1.0"]);
    expect(copies.get("@opentelemetry/sdk-trace")).toEqual(["3.1.0"]);
    expect(installed.length).toBeLessThanOrEqual(NODE_INSTALL_MAX_PACKAGES);
    expect(bytes).toBeLessThanOrEqual(NODE_INSTALL_MAX_BYTES);
  });

  it("@telltale/core exposes its API from the tarball", () => {
    expect(exportsViaRequire("@telltale/core", project)).toMatchObject({ workflow: "function", classifyError: "function" });
    const classify = "process.stdout.write(classifyError(Object.assign(new Error('x'), { status: 429 })).errorClass)";
    expect(runNode(["--input-type=module", "-e", `import { classifyError } from '@telltale/core'; ${classify}`], project)).toBe("rate_limit");
    expect(runNode(["-e", `const { classifyError } = require('@telltale/core'); ${classify}`], project)).toBe("rate_limit");
  });

  it("@telltale/core's root, /instrumentation and /attributes share one implementation in each format", () => {
    // A budget set by the root's workflow() is what /instrumentation's budgetCheck() sees: one copy of the context key.
    const check =
      "workflow('w', { budget: { tokens: 1, mode: 'enforce' } }, async () => { " +
      "const call = startLlmCall(trace.getTracer('t'), { provider: 'openai', operation: 'chat' }); " +
      "call.recordUsage({ inputTokens: 5, outputTokens: 0 }); call.end(); " +
      "process.stdout.write(String(budgetCheck()?.limitKind) + ' ' + ATTR_TELLTALE_BUDGET_EXCEEDED); })";
    const esm =
      "import { context, trace } from '@opentelemetry/api'; import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'; " +
      "context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()); import { workflow } from '@telltale/core'; " +
      "import { budgetCheck, startLlmCall } from '@telltale/core/instrumentation'; " +
      "import { ATTR_TELLTALE_BUDGET_EXCEEDED } from '@telltale/core/attributes'; ";
    const cjs =
      "const { context, trace } = require('@opentelemetry/api'); const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks'); " +
      "context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()); const { workflow } = require('@telltale/core'); " +
      "const { budgetCheck, startLlmCall } = require('@telltale/core/instrumentation'); " +
      "const { ATTR_TELLTALE_BUDGET_EXCEEDED } = require('@telltale/core/attributes'); ";
    expect(runNode(["--input-type=module", "-e", esm + check], project)).toBe("tokens telltale.budget.exceeded");
    expect(runNode(["-e", cjs + check], project)).toBe("tokens telltale.budget.exceeded");
  });
});
