// Jupyter plumbing: which Python modules are missing, the environment given to Jupyter, the notebook data
// folder, and the cleaning of tslab's error text.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { cleanKernelErrorText, jupyterEnv, missingPythonModules, notebookDataDir, PROJECT_JUPYTER_DIR } from "../../src/notebook";
import { PROJECT_ROOT } from "../../src/util/fs";

test("missingPythonModules lists exactly the modules Python cannot import", async () => {
  const python = process.env.FMALAB_PYTHON ?? "/usr/bin/python3";
  assert.deepEqual(await missingPythonModules(python, ["json", "fmalab_no_such_module_xyz", "os"]), ["fmalab_no_such_module_xyz"]);
  assert.deepEqual(await missingPythonModules("/nonexistent/python3", ["json", "os"]), ["json", "os"]);
});

test("jupyterEnv puts the project kernels and this Node first, keeps the rest, applies overrides", () => {
  const env = jupyterEnv({ FMALAB_DATA: "/d", HOME: undefined });
  assert.equal(env.JUPYTER_PATH!.split(path.delimiter)[0], PROJECT_JUPYTER_DIR);
  assert.equal(env.PATH!.split(path.delimiter)[0], path.dirname(process.execPath));
  assert.equal(env.FMALAB_DATA, "/d");
  assert.equal("HOME" in env, false);
  assert.equal(PROJECT_JUPYTER_DIR, path.join(PROJECT_ROOT, "jupyter"));
});

test("notebookDataDir prefers FMALAB_DATA (relative to the project root), then FMA_DIR", () => {
  const saved = { data: process.env.FMALAB_DATA, fma: process.env.FMA_DIR };
  try {
    process.env.FMALAB_DATA = "some/where";
    process.env.FMA_DIR = "/fma";
    assert.equal(notebookDataDir(), path.join(PROJECT_ROOT, "some", "where"));
    delete process.env.FMALAB_DATA;
    assert.equal(notebookDataDir(), "/fma");
  } finally {
    for (const [key, value] of [["FMALAB_DATA", saved.data], ["FMA_DIR", saved.fma]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test("cleanKernelErrorText keeps the message and the cell frames, drops tslab and node:vm frames", () => {
  const stderr = [
    "evalmachine.<anonymous>:2",
    'throw new Error("boom");',
    "Error: boom",
    "    at evalmachine.<anonymous>:2:7",
    "    at sigintHandlersWrap (node:vm:280:12)",
    "    at Script.runInThisContext (node:vm:135:14)",
    "    at Object.execute (/p/node_modules/tslab/dist/executor.js:160:38)",
    "    at trainOneEpoch (/p/src/train/train.ts:10:3)",
    "",
  ].join("\n");
  assert.equal(
    cleanKernelErrorText(stderr),
    ["evalmachine.<anonymous>:2", 'throw new Error("boom");', "Error: boom", "    at evalmachine.<anonymous>:2:7", "    at trainOneEpoch (/p/src/train/train.ts:10:3)"].join("\n"),
  );
});
