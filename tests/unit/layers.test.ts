// The library's layers point down only. Every relative import specifier in src/ (static import/export,
// side-effect imports, dynamic import(), require(), `typeof import()` types) is resolved to the stage folder
// it lands in, and each stage may import only itself, the stages below it and the shared lower layers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SRC = path.join(ROOT, "src");

/** Shared lower layers, in their own order: any stage may import them; they import no stage. */
const SHARED = ["util", "native", "tf"];
/**
 * The stages, lowest first. eval sits below train: the training loop validates with eval's predictions
 * and ends with evaluateModel; evaluating a run folder again lives in train (train/evaluate-run.ts).
 * cluster (array jobs: the main job's background training, sweeps) and notebook (Jupyter tooling) are
 * clients of the study below the CLI.
 */
const STAGES = ["data", "audio", "features", "models", "eval", "train", "analysis", "plots", "study", "cluster", "notebook", "cli"];
/** src/index.ts, the public entry, re-exports every stage but the CLI. */
const ENTRY = "index.ts";
const ORDER = [...SHARED, ...STAGES];

/**
 * Imports allowed against the order, each with its reason (empty: there are none). A key is
 * "from-file -> target-stage" relative to src/.
 */
const ALLOWED_EXCEPTIONS: Record<string, string> = {};

/** The relative import specifiers of a TypeScript/JavaScript source text. */
function importSpecifiers(source: string): string[] {
  // Comments out first, so a path named in prose is not an import.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\sfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const out: string[] = [];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|cjs|mjs|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The layer a path under src/ belongs to: its first folder, or the entry file. */
function layerOf(absPath: string): string {
  const rel = path.relative(SRC, absPath).split(path.sep);
  return rel.length === 1 ? (rel[0] === ENTRY || rel[0] === "index" ? ENTRY : rel[0]) : rel[0];
}

interface Edge {
  file: string;
  from: string;
  to: string;
  specifier: string;
}

/** Every import from one src/ layer into another. */
function crossLayerEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    for (const spec of importSpecifiers(fs.readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC + path.sep)) continue;
      const to = layerOf(target);
      if (to !== from) edges.push({ file: path.relative(SRC, file), from, to, specifier: spec });
    }
  }
  return edges;
}

/** Why an import breaks the order, or null when it points down. */
function violation(e: Edge): string | null {
  if (ALLOWED_EXCEPTIONS[`${e.file} -> ${e.to}`]) return null;
  if (e.from === ENTRY) return e.to === "cli" ? "the entry does not export the CLI" : null;
  if (e.to === ENTRY) return "nothing in src/ imports the public entry (import the stage itself)";
  const fromRank = ORDER.indexOf(e.from);
  const toRank = ORDER.indexOf(e.to);
  if (fromRank < 0) return `src/${e.from} is not in the layer list (add it to ORDER in tests/unit/layers.test.ts)`;
  if (toRank < 0) return `src/${e.to} is not in the layer list`;
  return toRank < fromRank ? null : `${e.from} may not import ${e.to} (${e.to} is above it)`;
}

test("importSpecifiers finds every import form and skips comments", () => {
  const sample = [
    `import * as fs from "node:fs";`,
    `import { a, type B } from "../train/x";`,
    `import type { C } from '../eval/y';`,
    `export * from "./z";`,
    `export { d } from "../models/w";`,
    `import "../side/effect";`,
    `const m = await import("../dyn/amic");`,
    `const r = require("../req/uire") as typeof import("../type/of");`,
    `import {\n  e,\n  f,\n} from "../multi/line";`,
    `// import { g } from "../in/comment";`,
    `/* require("../block/comment") */`,
  ].join("\n");
  assert.deepEqual(
    importSpecifiers(sample).sort(),
    ["node:fs", "../train/x", "../eval/y", "./z", "../models/w", "../side/effect", "../dyn/amic", "../req/uire", "../type/of", "../multi/line"].sort(),
  );
});

test("the scan sees the imports that exist (train imports models and eval)", () => {
  const edges = crossLayerEdges();
  assert.ok(edges.length > 100, `only ${edges.length} cross-layer imports found: the scan is broken`);
  assert.ok(edges.some((e) => e.from === "train" && e.to === "models"));
  assert.ok(edges.some((e) => e.from === "train" && e.to === "eval"));
  // And a wrong-way import would be reported.
  assert.match(violation({ file: "eval/x.ts", from: "eval", to: "train", specifier: "../train/y" }) ?? "", /may not import train/);
});

test("no file under src/eval imports src/train (eval sits below train)", () => {
  const wrongWay = crossLayerEdges().filter((e) => e.from === "eval" && e.to === "train");
  assert.deepEqual(
    wrongWay.map((e) => `src/${e.file} imports ${e.specifier}`),
    [],
    "eval must not import train: move the shared piece into src/models (or src/eval), or the caller up into src/train",
  );
});

test("every import in src/ points down the layer order", () => {
  const bad = crossLayerEdges()
    .map((e) => ({ e, why: violation(e) }))
    .filter((x) => x.why !== null)
    .map(({ e, why }) => `src/${e.file} imports ${e.specifier}: ${why}`);
  assert.deepEqual(bad, [], `layer order: ${ORDER.join(" → ")}`);
});

test("every allowed exception is still needed", () => {
  const edges = new Set(crossLayerEdges().map((e) => `${e.file} -> ${e.to}`));
  for (const key of Object.keys(ALLOWED_EXCEPTIONS)) assert.ok(edges.has(key), `stale exception: ${key}`);
});

test("every folder of src/ is in the layer list", () => {
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.deepEqual(folders.filter((f) => !ORDER.includes(f)), []);
});

test("process.env is read only at the edges: src/cli/ and src/study/settings.ts", () => {
  const readers = sourceFiles(SRC)
    .map((f) => path.relative(SRC, f).split(path.sep).join("/"))
    .filter((rel) => !rel.startsWith("cli/") && rel !== "study/settings.ts")
    .filter((rel) => {
      const code = fs.readFileSync(path.join(SRC, rel), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
      return /\bprocess\s*(\.\s*env\b|\[\s*["']env["']\s*\])/.test(code);
    });
  assert.deepEqual(readers, [], "read settings at the edge and pass them in (src/native/settings.ts: ComputeSettings; src/study/settings.ts)");
});
