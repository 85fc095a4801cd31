// Committed notebooks follow the rules (nbformat 4, kernel fmalab-tslab, no outputs), and the rule checker
// itself catches violations.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { cellSourceText, checkNotebookFormat, clearNotebookOutputs, listNotebooks, NOTEBOOKS_DIR } from "../../src/notebook";

const notebooks = listNotebooks(NOTEBOOKS_DIR);

test("listNotebooks finds the .ipynb files of a folder in name order (what the format check and the main job run)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-nblist-"));
  for (const name of ["02-b.ipynb", "00-a.ipynb", "notes.md", "10-c.ipynb"]) fs.writeFileSync(path.join(dir, name), "{}");
  fs.mkdirSync(path.join(dir, ".ipynb_checkpoints"));
  assert.deepEqual(listNotebooks(dir).map((f) => path.basename(f)), ["00-a.ipynb", "02-b.ipynb", "10-c.ipynb"]);
  assert.deepEqual(listNotebooks(path.join(dir, "absent")), []);
  // And the committed folder is not empty, so the per-notebook checks below check something.
  assert.ok(notebooks.some((f) => path.basename(f) === "00-getting-started.ipynb"), `found: ${notebooks.map((f) => path.basename(f)).join(", ") || "none"}`);
});

for (const file of notebooks) {
  test(`${path.basename(file)} is nbformat 4, kernel fmalab-tslab, committed without outputs`, () => {
    assert.deepEqual(checkNotebookFormat(file), []);
  });
}

for (const file of notebooks) {
  test(`${path.basename(file)} imports the library from "./dist" (declarations: no type check of src/ per kernel), never "./src"`, () => {
    const cells = (JSON.parse(fs.readFileSync(file, "utf8")) as { cells: Array<{ cell_type: string; source: string | string[] }> }).cells;
    const code = cells.filter((c) => c.cell_type === "code").map((c) => cellSourceText(c.source));
    const specifiers = code.flatMap((src) => [...src.matchAll(/\bfrom\s+"(\.[^"]*)"/g)].map((m) => m[1]));
    assert.ok(specifiers.includes("./dist"), `no import from "./dist" in ${path.basename(file)}; local imports: ${specifiers.join(", ") || "none"}`);
    assert.deepEqual(specifiers.filter((s) => !/^\.\/dist(\/|$)/.test(s)), [], "local imports other than ./dist…");
  });
}

function tempNotebook(nb: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-nbformat-"));
  const file = path.join(dir, "t.ipynb");
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

interface TestNotebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec: { name: string; display_name: string; language: string } };
  cells: Array<Record<string, unknown>>;
}

const goodNotebook: TestNotebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "fmalab-tslab", display_name: "TypeScript", language: "typescript" } },
  cells: [
    { cell_type: "markdown", metadata: {}, source: "# hi" },
    { cell_type: "code", metadata: {}, source: ["1 + 1"], outputs: [], execution_count: null },
  ],
};

test("checkNotebookFormat accepts a clean notebook", () => {
  assert.deepEqual(checkNotebookFormat(tempNotebook(goodNotebook)), []);
});

test("checkNotebookFormat reports outputs, execution counts, the wrong kernel and bad JSON", () => {
  const dirty = structuredClone(goodNotebook);
  dirty.metadata.kernelspec.name = "tslab";
  dirty.cells[1].outputs = [{ output_type: "stream", name: "stdout", text: "2\n" }];
  dirty.cells[1].execution_count = 3;
  const problems = checkNotebookFormat(tempNotebook(dirty));
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.match(problems.join("\n"), /kernelspec\.name is "tslab"/);
  assert.match(problems.join("\n"), /cell 1: has 1 output/);
  assert.match(problems.join("\n"), /cell 1: execution_count is 3/);

  const broken = tempNotebook({});
  fs.writeFileSync(broken, "{ not json");
  assert.match(checkNotebookFormat(broken)[0], /not valid JSON/);
});

test("clearNotebookOutputs makes a dirty notebook pass the rules", () => {
  const dirty = structuredClone(goodNotebook);
  dirty.cells[1].outputs = [{ output_type: "stream", name: "stdout", text: "2\n" }];
  dirty.cells[1].execution_count = 7;
  const file = tempNotebook(dirty);
  fs.writeFileSync(file, clearNotebookOutputs(fs.readFileSync(file, "utf8")));
  assert.deepEqual(checkNotebookFormat(file), []);
  const cleared = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.deepEqual(cleared.cells[1].source, ["1 + 1"]);
});

/** A copy of the committed kernelspec inside a fake project at a temp path; returns the kernel dir and project root. */
function relocatedKernel(pkgName: string | null): { kernelDir: string; root: string; argv: string[] } {
  const specDir = path.join(__dirname, "..", "..", "jupyter", "kernels", "fmalab-tslab");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-kernel-"));
  const kernelDir = path.join(root, "jupyter", "kernels", "fmalab-tslab");
  fs.mkdirSync(kernelDir, { recursive: true });
  for (const f of fs.readdirSync(specDir)) fs.copyFileSync(path.join(specDir, f), path.join(kernelDir, f));
  if (pkgName !== null) fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: pkgName }));
  const spec = JSON.parse(fs.readFileSync(path.join(kernelDir, "kernel.json"), "utf8")) as { argv: string[] };
  // What Jupyter does with the argv: substitute {resource_dir} and {connection_file}.
  const argv = spec.argv.map((a) => a.replace("{resource_dir}", kernelDir).replace("{connection_file}", path.join(root, "conn.json")));
  return { kernelDir, root, argv };
}

function runKernelArgv(argv: string[]): { status: number | null; stderr: string } {
  assert.equal(argv[0], "node");
  const r = spawnSync(process.execPath, argv.slice(1), { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

test("the kernelspec finds its project from {resource_dir} wherever the project lives (no absolute paths)", () => {
  // A relocated project without node_modules: the launcher resolves the root from its own folder and says
  // what is missing there — so it reads nothing from where the spec was written.
  const { root, argv } = relocatedKernel("fma-genre-lab");
  const missing = runKernelArgv(argv);
  assert.equal(missing.status, 1, missing.stderr);
  assert.ok(missing.stderr.includes(`${path.join(root, "node_modules", "tslab", "dist", "main.js")} is missing; run \`npm ci\` in ${root}`), missing.stderr);
  // Another project at that place is refused, naming where it looked.
  const other = relocatedKernel("something-else");
  const refused = runKernelArgv(other.argv);
  assert.equal(refused.status, 1);
  assert.ok(refused.stderr.includes(`expected the fma-genre-lab project at ${other.root}`), refused.stderr);
  // Started without a connection file (not by Jupyter): usage and status 2.
  const bare = runKernelArgv(argv.slice(0, 2));
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /usage: node launch\.cjs CONNECTION_FILE/);
});
