// dist/, the notebooks' import (src/notebook/declarations.ts, dist-build.ts): the fingerprint says when the
// declarations are older than src/, a build makes them fresh, a failed or concurrent build never leaves a
// half dist/, the stubs run the current src/, and a tslab kernel checks cells against the declarations
// without checking src/ (that part needs Jupyter: `npm run setup`).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import {
  buildDeclarations,
  compareFingerprints,
  distStatus,
  ensureDeclarations,
  executeNotebook,
  jupyterPython,
  JUPYTER_MODULES,
  missingPythonModules,
  NotebookExecutionError,
  sourceFingerprint,
  type DistFingerprint,
} from "../../src/notebook";
import { PROJECT_ROOT } from "../../src/util/fs";

/**
 * A small project in a temp folder: this project's tsconfigs and node_modules, src/answer.ts and an index,
 * plus the two real files dist/_runtime.js loads for its staleness check.
 */
function fakeProject(files: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-dist-"));
  fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  for (const name of ["package.json", "tsconfig.json", "tsconfig.dist.json"]) fs.copyFileSync(path.join(PROJECT_ROOT, name), path.join(root, name));
  for (const rel of ["notebook/declarations.ts", "util/fs.ts"]) write(root, `src/${rel}`, fs.readFileSync(path.join(PROJECT_ROOT, "src", rel), "utf8"));
  write(root, "src/answer.ts", "export const answer: number = 42;\n");
  write(root, "src/index.ts", 'export * from "./answer";\n');
  for (const [rel, text] of Object.entries(files)) write(root, rel, text);
  return root;
}

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/** Rewrite a file with an mtime clearly after the build's (a stat-based fingerprint must see every edit). */
function edit(root: string, rel: string, text: string): void {
  write(root, rel, text);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(root, rel), later, later);
}

/** Every file under dir (relative) with its content: what a failed build must leave untouched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      out[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
    }
  }
  return out;
}

/** Names in root a build may leave behind when it goes wrong: temp folders and the lock. */
function buildLeftovers(root: string): string[] {
  return fs.readdirSync(root).filter((n) => n.startsWith(".dist-"));
}

test("compareFingerprints names what changed: edited, added and removed files, the config, the compiler, the layout", () => {
  const built: DistFingerprint = { format: 1, compiler: "typescript 5.0.4", config: "c1", files: { "a.ts": [10, 1000], "b.ts": [20, 2000], "c.ts": [5, 5] } };
  assert.deepEqual(compareFingerprints(built, structuredClone(built)), []);
  const now: DistFingerprint = { format: 2, compiler: "typescript 5.9.3", config: "c2", files: { "a.ts": [10, 1001], "c.ts": [5, 5], "d.ts": [1, 1] } };
  assert.deepEqual(compareFingerprints(built, now), [
    "dist/ layout 1 (now 2)",
    "compiler typescript 5.0.4 (now typescript 5.9.3)",
    "tsconfig.dist.json or tsconfig.json changed",
    "src/a.ts edited",
    "src/d.ts added",
    "src/b.ts removed",
  ]);
  assert.deepEqual(compareFingerprints(null, now), ["dist/ missing"]);
  // A size change alone (same mtime) is an edit too.
  assert.deepEqual(compareFingerprints(built, { ...built, files: { ...built.files, "c.ts": [6, 5] } }), ["src/c.ts edited"]);
});

test("dist/ is missing, then fresh after a build, stale after an edit or a new file, fresh again after a rebuild", async () => {
  const root = fakeProject();
  try {
    assert.deepEqual(distStatus(root), { fresh: false, changes: ["dist/ missing"] });
    const first = await buildDeclarations({ root });
    assert.equal(first.built, true);
    assert.equal(first.modules, 4, "answer, index and the two copied library files");
    assert.equal(fs.readFileSync(path.join(root, "dist", "answer.d.ts"), "utf8").trim(), "export declare const answer: number;");
    assert.deepEqual(distStatus(root), { fresh: true, changes: [] });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, "dist", "fingerprint.json"), "utf8")), sourceFingerprint(root));

    edit(root, "src/answer.ts", "export const answer: number = 43;\nexport const question = 'six by nine';\n");
    write(root, "src/extra.ts", "export const extra = 1;\n");
    assert.deepEqual(distStatus(root), { fresh: false, changes: ["src/answer.ts edited", "src/extra.ts added"] });

    const again = await ensureDeclarations({ root });
    assert.equal(again.built, true);
    assert.deepEqual(distStatus(root), { fresh: true, changes: [] });
    assert.match(fs.readFileSync(path.join(root, "dist", "answer.d.ts"), "utf8"), /export declare const question = "six by nine";/);
    assert.ok(fs.existsSync(path.join(root, "dist", "extra.js")) && fs.existsSync(path.join(root, "dist", "extra.d.ts")));
    assert.equal((await ensureDeclarations({ root })).built, false, "nothing to do when fresh");
    assert.deepEqual(buildLeftovers(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the stubs run the current src/ in plain Node, and say once when the types are older than src/", async () => {
  const root = fakeProject({ "src/deep/inner.ts": 'import { answer } from "../answer";\nexport const twice = answer * 2;\n' });
  try {
    await buildDeclarations({ root });
    const script = `const a = require(${JSON.stringify(path.join(root, "dist"))}); const b = require(${JSON.stringify(path.join(root, "dist", "deep", "inner"))}); console.log(a.answer, b.twice);`;
    const run = () => spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    const fresh = run();
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.equal(fresh.stdout.trim(), "42 84");
    assert.equal(fresh.stderr.trim(), "", "no notice while fresh");

    edit(root, "src/answer.ts", "export const answer: number = 50;\n");
    const stale = run();
    assert.equal(stale.status, 0, stale.stderr);
    assert.equal(stale.stdout.trim(), "50 100", "the code is the edited src/, not the build's");
    const notices = stale.stderr.trim().split("\n");
    assert.equal(notices.length, 1, stale.stderr);
    assert.match(notices[0], /types in dist\/ are older than src\/ \(src\/answer\.ts edited\); the code that runs is the current src\//);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a build that fails leaves the old dist/ exactly as it was, and no temp folder or lock behind", async () => {
  const root = fakeProject();
  try {
    await buildDeclarations({ root });
    const before = snapshot(path.join(root, "dist"));
    edit(root, "src/answer.ts", "export const answer: string = 'changed';\n");
    // A compiler that dies half-way: one declaration written, an error, exit 1.
    const fakeTsc = path.join(root, "fake-tsc.cjs");
    fs.writeFileSync(
      fakeTsc,
      [
        'const fs = require("fs"), path = require("path");',
        'const out = process.argv[process.argv.indexOf("--outDir") + 1];',
        'fs.writeFileSync(path.join(out, "answer.d.ts"), "export declare const answer: string;\\n");',
        'console.log("src/index.ts(1,1): error TS9999: simulated crash");',
        "process.exit(1);",
      ].join("\n"),
    );
    await assert.rejects(buildDeclarations({ root, tsc: fakeTsc }), /tsc exited with status 1 and wrote no declaration for 3 module\(s\) \(first: src\/index\.ts\):\n  src\/index\.ts\(1,1\): error TS9999: simulated crash/);
    assert.deepEqual(snapshot(path.join(root, "dist")), before);
    assert.deepEqual(buildLeftovers(root), []);
    assert.equal(distStatus(root).fresh, false, "still stale: the edit is not in dist/");
    // A missing config is a clear error too, and also leaves dist/ alone.
    fs.renameSync(path.join(root, "tsconfig.dist.json"), path.join(root, "tsconfig.dist.json.away"));
    await assert.rejects(buildDeclarations({ root }), /tsconfig\.dist\.json is missing/);
    assert.deepEqual(snapshot(path.join(root, "dist")), before);
    assert.deepEqual(buildLeftovers(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("concurrent builds: one builds, the other waits and finds dist/ fresh; a dead owner's lock and a killed build's temp folders are cleaned up", async () => {
  const root = fakeProject();
  try {
    const both = await Promise.all([ensureDeclarations({ root }), ensureDeclarations({ root })]);
    assert.deepEqual(both.map((b) => b.built).sort(), [false, true]);
    assert.equal(distStatus(root).fresh, true);
    // What a build killed half-way leaves: its lock (its pid gone), its temp folder and a set-aside dist/.
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
    fs.mkdirSync(path.join(root, ".dist-build.lock"));
    fs.writeFileSync(path.join(root, ".dist-build.lock", "pid"), gone);
    fs.mkdirSync(path.join(root, ".dist-build-killed"));
    fs.mkdirSync(path.join(root, ".dist-old-123-456"));
    edit(root, "src/answer.ts", "export const answer = 7;\n");
    const rebuilt = await ensureDeclarations({ root, lockWaitMs: 2000 });
    assert.equal(rebuilt.built, true);
    assert.deepEqual(buildLeftovers(root), []);
    assert.match(fs.readFileSync(path.join(root, "dist", "answer.d.ts"), "utf8"), /answer = 7/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("in a tslab kernel, cells are checked against dist/'s declarations and src/ itself is not checked", async (t) => {
  const missing = await missingPythonModules(jupyterPython(), JUPYTER_MODULES.execute);
  if (missing.length > 0) {
    t.skip(`Jupyter modules missing (${missing.join(", ")}): run npm run setup`);
    return;
  }
  // A type error inside a function body: invisible in the declarations, fatal for a cell importing src/.
  const root = fakeProject({ "src/index.ts": 'export * from "./answer";\nexport function two(): number {\n  const s: string = 2;\n  return 2;\n}\n' });
  try {
    const build = await buildDeclarations({ root });
    assert.match(build.warnings.join("\n"), /error TS2322/, "tsc reports the error, and the declarations are written anyway");
    const dist = JSON.stringify(path.join(root, "dist"));
    const cells = [`import * as m from ${dist};\nconsole.log("RESULT " + m.answer + " " + m.two());`, "const wrong: string = m.answer;"];
    const file = path.join(root, "check.ipynb");
    fs.writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "fmalab-tslab", display_name: "TypeScript", language: "typescript" } },
        cells: cells.map((source) => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
      }),
    );
    const outPath = path.join(root, "out.ipynb");
    const err = await executeNotebook(file, { outPath, cellTimeoutSeconds: 120 }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotebookExecutionError, `expected the second cell to fail its type check, got ${String(err)}`);
    assert.equal(err.cellIndex, 1, err.message);
    assert.match(err.errorText, /Type 'number' is not assignable to type 'string'/);
    const executed = JSON.parse(fs.readFileSync(outPath, "utf8"));
    const text = executed.cells[0].outputs.map((o: { text?: string | string[] }) => [o.text ?? ""].flat().join("")).join("");
    assert.match(text, /^RESULT 42 2$/m, `the first cell ran against dist/ (src/index.ts has a type error): ${text}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
