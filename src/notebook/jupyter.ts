// Where Jupyter lives for this project: the Python that has nbclient/nbconvert (Debian's /usr/bin/python3,
// or FMALAB_PYTHON), and the environment that makes the committed `fmalab-tslab` kernelspec visible.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../util/fs";
import { processEnvironment } from "../study/settings";

/** The project's kernelspec name (jupyter/kernels/fmalab-tslab/kernel.json). */
export const NOTEBOOK_KERNEL_NAME = "fmalab-tslab";

/** The folder put on JUPYTER_PATH so Jupyter finds jupyter/kernels/fmalab-tslab. */
export const PROJECT_JUPYTER_DIR: string = path.join(PROJECT_ROOT, "jupyter");

/** The project's notebooks folder. */
export const NOTEBOOKS_DIR: string = path.join(PROJECT_ROOT, "notebooks");

/**
 * The Python interpreter used for Jupyter: FMALAB_PYTHON when set, else /usr/bin/python3 when it exists
 * (on Debian it has the packaged Jupyter, while a pyenv/venv `python3` earlier on PATH often has none),
 * else `python3` from PATH.
 */
export function jupyterPython(): string {
  const fromEnv = processEnvironment().FMALAB_PYTHON;
  if (fromEnv) return fromEnv;
  return fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * Environment for Jupyter processes: JUPYTER_PATH starts with <project>/jupyter, PATH starts with this
 * Node's folder (kernel.json runs `node`, which must be a Node ≥ 20.19 like this one), and Python's
 * debugger warnings about frozen modules are silenced.
 */
export function jupyterEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...processEnvironment() } as NodeJS.ProcessEnv;
  env.JUPYTER_PATH = [PROJECT_JUPYTER_DIR, processEnvironment().JUPYTER_PATH].filter((p) => p).join(path.delimiter);
  env.PATH = [path.dirname(process.execPath), processEnvironment().PATH].filter((p) => p).join(path.delimiter);
  env.PYDEVD_DISABLE_FILE_VALIDATION = "1";
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Python modules each Jupyter use needs (import names). */
export const JUPYTER_MODULES = {
  execute: ["nbformat", "nbclient", "jupyter_client", "nbconvert"],
  lab: ["notebook"],
} as const;

/** Which of `modules` `python` cannot import ([] when all import; all of them when python is missing). */
export function missingPythonModules(python: string, modules: ReadonlyArray<string>): Promise<string[]> {
  const probe = [
    "import importlib.util, sys",
    `mods = ${JSON.stringify(modules)}`,
    "print('\\n'.join(m for m in mods if importlib.util.find_spec(m) is None))",
  ].join("\n");
  return new Promise((resolve) => {
    let out = "";
    const child = spawn(python, ["-c", probe], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", () => resolve([...modules]));
    child.on("close", (code) => {
      if (code !== 0) resolve([...modules]);
      else resolve(out.split("\n").map((s) => s.trim()).filter((s) => s.length > 0));
    });
  });
}
