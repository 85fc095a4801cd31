// Jupyter plumbing: which Python modules are missing, the environment given to Jupyter, the notebook data
// folder, and the cleaning of tslab's error text.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { cleanKernelErrorText, jupyterEnv, missingPythonModules, PROJECT_JUPYTER_DIR } from "../../src/notebook";
import { dataDirFromEnv } from "../../src/study/settings";
import { DEFAULT_DATA_DIR } from "../../src/study/config";
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

test("the dataset folder: FMALAB_DATA (relative to the project root), then FMA_DIR, then the one default", () => {
  assert.equal(dataDirFromEnv({ FMALAB_DATA: "some/where", FMA_DIR: "/fma" }), path.join(PROJECT_ROOT, "some", "where"));
  assert.equal(dataDirFromEnv({ FMA_DIR: "/fma" }), "/fma");
  assert.equal(dataDirFromEnv({}), DEFAULT_DATA_DIR);
  assert.equal(DEFAULT_DATA_DIR, path.join(PROJECT_ROOT, "data", "synthetic"));
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

test("fmalab lab: the port Jupyter took is read from its log, and the full token URL is built for it", async () => {
  const { jupyterPortFromLog, labUrl } = await import("../../src/cli/commands/lab");
  assert.equal(jupyterPortFromLog("[I 16:00:41.490 NotebookApp] http://127.0.0.1:8891/?token=..."), 8891);
  assert.equal(jupyterPortFromLog("[I 16:00:41.491 NotebookApp]  or http://localhost:8892/?token=..."), 8892);
  assert.equal(jupyterPortFromLog("[I 16:00:41.486 NotebookApp] The port 8890 is already in use, trying another port."), null);
  assert.equal(labUrl(8891, "abc"), "http://127.0.0.1:8891/tree?token=abc");
});
