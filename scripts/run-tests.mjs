// Runs the test suite with Node's own test runner (through tsx for TypeScript).
//   node scripts/run-tests.mjs              all tests (unit, then notebooks)
//   node scripts/run-tests.mjs --unit       tests/unit only
//   node scripts/run-tests.mjs --notebooks  tests/notebooks only
//   node scripts/run-tests.mjs FILTER...    only test files whose path contains a FILTER
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const suites = [];
if (args.includes("--unit")) suites.push("tests/unit");
if (args.includes("--notebooks")) suites.push("tests/notebooks");
if (suites.length === 0) suites.push("tests/unit", "tests/notebooks");
const filters = args.filter((a) => !a.startsWith("--"));

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const files = suites
  .flatMap((s) => walk(join(root, s)))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files matched (${suites.join(", ")} ${filters.join(" ")})`);
  process.exit(1);
}
const tsx = pathToFileURL(require.resolve("tsx")).href;
// One file at a time: the machine has 2 cores and several suites use worker threads themselves.
const runFiles = (list, extraEnv) =>
  spawnSync(process.execPath, ["--import", tsx, "--test", "--test-concurrency=1", "--test-reporter=spec", ...list], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, FMALAB_TEST: "1", ...extraEnv },
  });
const result = runFiles(files, {});
let status = result.status === null ? 1 : result.status;
// The tf and training tests once more with the system BLAS forced off: the wasm kernels' path stays tested.
const blasFiles = files.filter((f) => /tests\/unit\/(tf-(kernels|models|blas)|train-(loop|data-parallel))\.test\.ts$/.test(f.replace(/\\/g, "/")));
if (blasFiles.length > 0 && process.env.FMALAB_BLAS !== "off") {
  console.error(`\n[run-tests] again with FMALAB_BLAS=off: ${blasFiles.join(" ")}`);
  const off = runFiles(blasFiles, { FMALAB_BLAS: "off" });
  if (status === 0) status = off.status === null ? 1 : off.status;
}
process.exit(status);
