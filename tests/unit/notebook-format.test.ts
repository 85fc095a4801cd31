// Committed notebooks follow the rules (nbformat 4, kernel fmalab-tslab, no outputs), and the rule checker
// itself catches violations.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkNotebookFormat, clearNotebookOutputs, listNotebooks, NOTEBOOKS_DIR } from "../../src/notebook";

const notebooks = listNotebooks(NOTEBOOKS_DIR);

test("notebooks/ holds at least the getting-started notebook", () => {
  assert.ok(
    notebooks.some((f) => path.basename(f) === "00-getting-started.ipynb"),
    `found: ${notebooks.map((f) => path.basename(f)).join(", ") || "none"}`,
  );
});

for (const file of notebooks) {
  test(`${path.basename(file)} is nbformat 4, kernel fmalab-tslab, committed without outputs`, () => {
    assert.deepEqual(checkNotebookFormat(file), []);
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

test("the committed kernelspec has no absolute paths and starts the launcher from {resource_dir}", () => {
  const specDir = path.join(__dirname, "..", "..", "jupyter", "kernels", "fmalab-tslab");
  const spec = JSON.parse(fs.readFileSync(path.join(specDir, "kernel.json"), "utf8")) as { argv: string[]; language: string };
  assert.deepEqual(spec.argv, ["node", "{resource_dir}/launch.cjs", "{connection_file}"]);
  assert.equal(spec.language, "typescript");
  assert.ok(fs.existsSync(path.join(specDir, "launch.cjs")));
  for (const arg of spec.argv) assert.ok(!path.isAbsolute(arg), `absolute path in argv: ${arg}`);
});
