#!/usr/bin/env node
// docs/attributes.md, the attribute reference, generated from @telltale/core's built attribute module so that the
// page can never drift from the names the code writes. Values come from the runtime module (dist/attributes.mjs);
// descriptions and types come from the doc comments that tsc keeps in dist/types/attributes.d.ts.
//
//   node scripts/attribute-table.mjs           print the page
//   node scripts/attribute-table.mjs --write   write docs/attributes.md
//   node scripts/attribute-table.mjs --check   exit 1 when docs/attributes.md differs from a fresh render
//
// Needs the built core package: `./run pnpm --filter @telltale/core build` first.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = path.join(repoRoot, "packages", "core");
const declarationsFile = path.join(coreDir, "dist", "types", "attributes.d.ts");
const semconvDeclarationsFile = path.join(coreDir, "dist", "types", "semconv.d.ts");
const runtimeModule = path.join(coreDir, "dist", "attributes.mjs");
const attributesSource = path.join(coreDir, "src", "attributes.ts");
// Core's copy of the unstable semantic-convention names, which attributes.ts re-exports: not a use of them.
const semconvSource = path.join(coreDir, "src", "semconv.ts");
export const ATTRIBUTES_PAGE = path.join(repoRoot, "docs", "attributes.md");

/** The semantic-conventions release whose registry namespaces the standard names are listed under. */
const SEMCONV_VERSION = "1.45";

/**
 * Every `export declare const NAME = "value";` of the declarations, in file order, with the doc comment right above
 * it (if any). File order groups the names the way attributes.ts does, which reads better than alphabetical.
 */
function parseDeclarations(text) {
  const declarations = [];
  // Two shapes exist: `NAME = "value"` (literal types) and `NAME: "value"` (aliases such as RESPONSES); the doc
  // comment, if any, is the one that ends right before the declaration.
  const constPattern = /export declare const (\w+)(?: = "([^"]*)"|: "([^"]*)"|[^;]*);/g;
  for (const match of text.matchAll(constPattern)) {
    const before = text.slice(0, match.index).trimEnd();
    let doc;
    if (before.endsWith("*/")) {
      const start = before.lastIndexOf("/**");
      doc = before
        .slice(start + 3, -2)
        .split("\n")
        .map((line) => line.replace(/^\s*\*\s?/, "").trim())
        .join(" ")
        .replace(/\s+/g, " ")
        .trim();
    }
    declarations.push({ exportName: match[1], literal: match[2] ?? match[3], doc });
  }
  return declarations;
}

/** `export type ErrorClass = (typeof ERROR_CLASSES)[number];` → { ErrorClass: "ERROR_CLASSES" }. */
function parseValueSetTypes(text) {
  const valueSets = {};
  for (const match of text.matchAll(/export type (\w+) = \(typeof (\w+)\)\[number\];/g)) valueSets[match[1]] = match[2];
  return valueSets;
}

/** The standard names core re-exports, in order: the stable ones of its `export { … } from
 * "@opentelemetry/semantic-conventions"` list, then every name of its copy of the unstable ones (semconv.ts, which
 * attributes.ts re-exports whole). */
function parseReexports(text) {
  const block = /export \{([^}]*)\} from "@opentelemetry\/semantic-conventions";/.exec(text);
  if (!block) throw new Error(`no re-export of @opentelemetry/semantic-conventions in ${declarationsFile}`);
  if (!text.includes('export * from "./semconv.js";')) throw new Error(`${declarationsFile} no longer re-exports semconv.js`);
  const stable = block[1]
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unstable = parseDeclarations(readFileSync(semconvDeclarationsFile, "utf8")).map((declaration) => declaration.exportName);
  return [...stable, ...unstable];
}

function escapeCell(text) {
  return text.replace(/\|/g, "\\|");
}

/** Splits `int[]. The HTTP status …` into the type and the description. */
function splitType(doc) {
  const match = /^(boolean|int|double|string)(\[\])?\.\s+(.*)$/.exec(doc);
  return match ? { type: `${match[1]}${match[2] ?? ""}`, description: match[3] } : { type: "", description: doc };
}

function describeDoc(doc, core, valueSets) {
  let valuesNote = "";
  const description = doc.replace(/\{@link (\w+)\}/g, (_, typeName) => {
    const values = valueSets[typeName] ? core[valueSets[typeName]] : undefined;
    if (Array.isArray(values)) valuesNote = ` Values: ${values.map((value) => `\`${value}\``).join(", ")}.`;
    return `\`${typeName}\``;
  });
  return escapeCell(description + valuesNote);
}

/** Which packages (other than the attribute module itself and its semconv copy) reference each exported constant:
 * the standard names core re-exports but nothing uses (messaging.*, for users) stay out of the table. */
function packagesReferencing(exportNames) {
  const packagesDir = path.join(repoRoot, "packages");
  const usage = new Map(exportNames.map((name) => [name, new Set()]));
  for (const pkg of readdirSync(packagesDir).sort()) {
    const srcDir = path.join(packagesDir, pkg, "src");
    if (!existsSync(srcDir)) continue;
    const manifest = JSON.parse(readFileSync(path.join(packagesDir, pkg, "package.json"), "utf8"));
    if (manifest.private === true) continue; // the shared test harnesses are not what users run
    for (const file of readdirSync(srcDir, { recursive: true })) {
      const full = path.join(srcDir, String(file));
      if (!/\.(ts|mts|cts)$/.test(full) || full === attributesSource || full === semconvSource) continue;
      const text = readFileSync(full, "utf8");
      for (const name of exportNames) if (new RegExp(`\\b${name}\\b`).test(text)) usage.get(name).add(manifest.name);
    }
  }
  return usage;
}

/** The tables of the page, as Markdown. */
export async function renderAttributeReference() {
  if (!existsSync(declarationsFile) || !existsSync(runtimeModule)) {
    throw new Error("@telltale/core is not built: run `./run pnpm --filter @telltale/core build` first");
  }
  const core = await import(new URL(`file://${runtimeModule}`).href);
  const text = readFileSync(declarationsFile, "utf8");
  const declarations = parseDeclarations(text);
  const valueSets = parseValueSetTypes(text);

  for (const declaration of declarations) {
    if (declaration.literal !== undefined && core[declaration.exportName] !== declaration.literal) {
      throw new Error(`${declaration.exportName}: declarations say "${declaration.literal}", runtime says "${core[declaration.exportName]}"`);
    }
  }
  const documented = (prefix) =>
    declarations.filter((declaration) => declaration.exportName.startsWith(prefix)).map((declaration) => {
      if (!declaration.doc) throw new Error(`${declaration.exportName} has no doc comment in src/attributes.ts`);
      return declaration;
    });

  const lines = [];
  lines.push("## Telltale attributes (`telltale.*`)", "");
  lines.push("| attribute | type | meaning |", "|---|---|---|");
  for (const declaration of documented("ATTR_TELLTALE_")) {
    const { type, description } = splitType(declaration.doc);
    lines.push(`| \`${core[declaration.exportName]}\` | ${type} | ${describeDoc(description, core, valueSets)} |`);
  }

  const standardNames = parseReexports(text).filter((name) => name.startsWith("ATTR_"));
  const usage = packagesReferencing(standardNames);
  lines.push("", "## Standard attributes Telltale uses (OpenTelemetry semantic conventions)", "");
  lines.push(`| attribute | registry namespace (semantic conventions ${SEMCONV_VERSION}) |`, "|---|---|");
  for (const exportName of standardNames) {
    if (usage.get(exportName).size === 0) continue; // re-exported for users, but no package uses it
    const name = core[exportName];
    const namespace = name.split(".")[0].replace(/_/g, "-");
    lines.push(`| \`${name}\` | \`${namespace}\` |`);
  }

  lines.push("", "## Events and metrics", "");
  lines.push("| name | kind | meaning |", "|---|---|---|");
  for (const declaration of documented("EVENT_TELLTALE_")) {
    lines.push(`| \`${core[declaration.exportName]}\` | span event | ${describeDoc(declaration.doc, core, valueSets)} |`);
  }
  for (const exportName of parseReexports(text).filter((name) => name.startsWith("METRIC_"))) {
    const conventions = core[exportName].startsWith("mcp.") ? "MCP semantic conventions' metric" : "GenAI semantic conventions' client metric";
    lines.push(`| \`${core[exportName]}\` | histogram | The ${conventions}. |`);
  }
  for (const declaration of documented("METRIC_TELLTALE_")) {
    const [kind, ...rest] = declaration.doc.split(": ");
    const meaning = rest.join(": ");
    lines.push(`| \`${core[declaration.exportName]}\` | ${kind.toLowerCase()} | ${describeDoc(meaning.charAt(0).toUpperCase() + meaning.slice(1), core, valueSets)} |`);
  }
  return lines.join("\n");
}

const PAGE_HEADER = `# Attribute reference

Every attribute, event and metric name Telltale writes, spelled once in
[\`packages/core/src/attributes.ts\`](../packages/core/src/attributes.ts) and exported as \`ATTR_*\`, \`EVENT_*\` and
\`METRIC_*\` from \`@telltale/core/attributes\`. Generated from the built module by
\`node scripts/attribute-table.mjs --write\`; a test fails when this page and the code disagree.`;

/** The whole page, as Markdown. */
export async function renderAttributePage() {
  return `${PAGE_HEADER}\n\n${await renderAttributeReference()}\n`;
}

async function main(args) {
  const page = await renderAttributePage();
  if (args.includes("--write")) {
    writeFileSync(ATTRIBUTES_PAGE, page);
    return 0;
  }
  if (args.includes("--check")) {
    if (existsSync(ATTRIBUTES_PAGE) && readFileSync(ATTRIBUTES_PAGE, "utf8") === page) return 0;
    process.stderr.write("docs/attributes.md is stale: run node scripts/attribute-table.mjs --write\n");
    return 1;
  }
  process.stdout.write(page);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
