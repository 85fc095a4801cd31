// The notebook harness can fail: a notebook whose cell throws, or whose cell does not type-check, makes
// executeNotebook reject with the notebook, the cell index and tslab's own message (from the cell's stderr).
// Needs Jupyter (`npm run setup`); these start a real fmalab-tslab kernel (a few seconds each).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, NotebookExecutionError } from "../../src/notebook";

function writeNotebook(dir: string, name: string, cells: string[]): string {
  const file = path.join(dir, name);
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "fmalab-tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: "# harness self-test" },
      ...cells.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
    ],
  };
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-harness-"));

test("a passing notebook runs from the project root and keeps its outputs", async () => {
  const file = writeNotebook(dir, "pass.ipynb", [
    'import * as path from "path";\nconst here = path.basename(process.cwd());',
    'console.log("cwd-has-package", require("fs").existsSync("package.json"), process.env.FMALAB_DATA);',
  ]);
  const outPath = path.join(dir, "out", "pass.ipynb");
  const result = await executeNotebook(file, { outPath, dataDir: "/tmp/some-data", cellTimeoutSeconds: 120 });
  assert.equal(result.outPath, outPath);
  const executed = JSON.parse(fs.readFileSync(outPath, "utf8"));
  const text = executed.cells[2].outputs.map((o: { text: string | string[] }) => [o.text].flat().join("")).join("");
  assert.equal(text.trim(), "cwd-has-package true /tmp/some-data");
  assert.equal(executed.cells[2].execution_count, 2);
});

test("a throwing cell fails with its index and the thrown message", async () => {
  const file = writeNotebook(dir, "throws.ipynb", ["const a = 1;", 'if (a === 1) throw new Error("boom-123");', 'console.log("not reached");']);
  await assert.rejects(
    executeNotebook(file, { outPath: path.join(dir, "out", "throws.ipynb"), cellTimeoutSeconds: 120 }),
    (err: unknown) => {
      assert.ok(err instanceof NotebookExecutionError, String(err));
      assert.equal(err.cellIndex, 2); // cell 0 is markdown
      assert.match(err.message, /throws\.ipynb: cell 2 failed/);
      assert.match(err.message, /boom-123/);
      assert.match(err.message, /throw new Error/); // the cell source head
      return true;
    },
  );
});

test("a cell that does not type-check fails with tslab's diagnostic", async () => {
  const file = writeNotebook(dir, "typeerror.ipynb", ['const n: number = "not a number";']);
  await assert.rejects(executeNotebook(file, { outPath: path.join(dir, "out", "typeerror.ipynb"), cellTimeoutSeconds: 120 }), (err: unknown) => {
    assert.ok(err instanceof NotebookExecutionError, String(err));
    assert.equal(err.cellIndex, 1);
    assert.match(err.errorText, /Type 'string' is not assignable to type 'number'/);
    return true;
  });
});
