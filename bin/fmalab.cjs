#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx fmalab ...` works without a build step.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const root = path.resolve(__dirname, "..");
const tsx = pathToFileURL(require.resolve("tsx", { paths: [root] })).href;
const result = spawnSync(
  process.execPath,
  ["--import", tsx, path.join(root, "src/cli/main.ts"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
process.exit(result.status === null ? 1 : result.status);
