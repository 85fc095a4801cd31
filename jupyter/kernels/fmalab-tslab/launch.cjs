#!/usr/bin/env node
// Starts the project's own tslab kernel for Jupyter. kernel.json runs
//   node {resource_dir}/launch.cjs {connection_file}
// and Jupyter substitutes {resource_dir} with this folder (jupyter_client >= 7), so nothing here is an
// absolute path. tslab uses the process cwd as its rootDir, so we chdir to the project root first: cells then
// `import * as lab from "./src"` whatever folder the notebook lives in.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const connectionFile = process.argv[2];
if (!connectionFile) {
  console.error("usage: node launch.cjs CONNECTION_FILE (Jupyter passes it; see kernel.json)");
  process.exit(2);
}

// jupyter/kernels/fmalab-tslab → project root, confirmed by the package.json name.
const root = path.resolve(__dirname, "..", "..", "..");
const pkgPath = path.join(root, "package.json");
let pkgName = null;
try {
  pkgName = JSON.parse(fs.readFileSync(pkgPath, "utf8")).name;
} catch {
  // reported below
}
if (pkgName !== "fma-genre-lab") {
  console.error(`fmalab-tslab kernel: expected the fma-genre-lab project at ${root} (no matching package.json)`);
  process.exit(1);
}
const tslabMain = path.join(root, "node_modules", "tslab", "dist", "main.js");
if (!fs.existsSync(tslabMain)) {
  console.error(`fmalab-tslab kernel: ${tslabMain} is missing; run \`npm ci\` in ${root}`);
  process.exit(1);
}

process.chdir(root);
// tslab compiles and type-checks the cells and the local .ts files they import (TypeScript 5.0.4), but its
// loader only finds a local module by file name: a folder import such as "./src" or "./util" (meaning
// src/index.ts) falls through to Node's own require, which cannot load .ts. tsx's CommonJS hook lets Node
// load those files, so `import * as lab from "./src"` works and the library runs as one module graph.
const { register } = require(require.resolve("tsx/cjs/api", { paths: [root] }));
register();
// tslab runs TypeScript's watch compiler with a one-timer stand-in for setTimeout. A file or folder created
// under a watched directory while the kernel runs (a new file in src/, a new cache folder) makes TypeScript
// schedule a second timer, and from then on every cell fails with "Unexpected pending rebuildTimer" until
// the kernel restarts. Directory watching only serves imports that failed before (TypeScript retries them
// when a folder changes), so it is switched off: edits to existing files are still seen; a module created
// after a failed import needs a kernel restart.
const tslabTs = require(require.resolve("@tslab/typescript-for-tslab", { paths: [path.dirname(tslabMain)] }));
tslabTs.sys.watchDirectory = () => ({ close() {} });
const { startKernel } = require(tslabMain);
// The notebooks import "./dist" (src/notebook/declarations.ts): declarations tslab reads without checking
// src/, and stubs that run the current src/. Types older than src/ are rebuilt here, before any cell is
// checked against them (a stat per src file when they are fresh; a rebuild takes a few seconds).
function ensureDist() {
  const say = (line) => console.error(`fmalab-tslab kernel: ${line}`);
  return Promise.resolve()
    .then(() => require(path.join(root, "src", "notebook", "dist-build.ts")).ensureDeclarations({ root, log: say }))
    .catch((err) => say(`dist/ not rebuilt (${err.message.split("\n")[0]}): cells importing "./dist" may see older types`));
}
// tsx's ESM hooks too, so that library code using dynamic `import("./x")` (which Node resolves with its ESM
// loader, extensionless) also finds its .ts files inside the kernel, as it does under `tsx`.
const { pathToFileURL } = require("node:url");
ensureDist()
  .then(() => import(pathToFileURL(require.resolve("tsx/esm", { paths: [root] })).href))
  .catch((err) => console.error(`fmalab-tslab kernel: tsx ESM hooks not registered (${err.message}); dynamic imports of .ts files will fail`))
  .then(() => {
    // enableFindLocal: false — this is already the project's local tslab.
    startKernel({ configPath: connectionFile, enableFindLocal: false, jsKernel: false, globalVersion: "" });
  });
