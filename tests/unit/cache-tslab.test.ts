// The cache's worker threads from a real tslab kernel (no tsx loader in that process): a notebook cell
// builds a cache of a tiny dataset with 2 workers and reads it back. Needs Jupyter (`npm run setup`).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, jupyterPython, JUPYTER_MODULES, missingPythonModules } from "../../src/notebook";
import { writeTinyDataset } from "../helpers/cache-dataset";

test("buildSpectrogramCache with worker threads runs inside a tslab notebook kernel", async (t) => {
  const missing = await missingPythonModules(jupyterPython(), JUPYTER_MODULES.execute);
  if (missing.length > 0) {
    t.skip(`Jupyter modules missing (${missing.join(", ")}): run npm run setup`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cache-tslab-"));
  try {
    const dataDir = path.join(tmp, "tiny");
    await writeTinyDataset(dataDir, [
      { trackId: 2, kind: "good" },
      { trackId: 5, kind: "garbage" },
      { trackId: 10, kind: "good" },
      { trackId: 20, kind: "good" },
    ]);
    const cells = [
      'import * as lab from "./src";',
      [
        `const s = await lab.buildSpectrogramCache({ dataDir: ${JSON.stringify(dataDir)}, cacheRoot: ${JSON.stringify(path.join(tmp, "cache"))}, workers: 2, clipSeconds: 2, silent: true });`,
        "const c = lab.openSpectrogramCache(s.dir);",
        'console.log("RESULT " + JSON.stringify({ ok: s.ok, failed: s.failed, ids: c.trackIds(), frames: c.get(2).nFrames, reason: s.failures[0]?.reason }));',
      ].join("\n"),
    ];
    const file = path.join(tmp, "cache.ipynb");
    fs.writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "fmalab-tslab", display_name: "TypeScript", language: "typescript" } },
        cells: cells.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
      }),
    );
    const outPath = path.join(tmp, "out.ipynb");
    await executeNotebook(file, { outPath, cellTimeoutSeconds: 300 });
    const executed = JSON.parse(fs.readFileSync(outPath, "utf8"));
    const text = executed.cells[1].outputs.map((o: { text?: string | string[] }) => [o.text ?? ""].flat().join("")).join("");
    const line = text.split("\n").find((l: string) => l.startsWith("RESULT "));
    assert.ok(line, `no RESULT line in the cell output: ${text}`);
    assert.deepEqual(JSON.parse(line.slice(7)), { ok: 3, failed: 1, ids: [2, 10, 20], frames: 87, reason: "garbage" });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
