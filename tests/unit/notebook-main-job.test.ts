// The main job's orchestration: a bad FMA_DIR stops it at once with the missing parts and the download
// hint; the report index links the notebooks and figures with relative paths.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { command, MAIN_STEPS, renderReportIndex, type MainContext } from "../../src/cli/commands/main";

test("the main job lists its steps in order, setup and data first, report last", () => {
  const ids = MAIN_STEPS.map((s) => s.id);
  assert.deepEqual(ids.slice(0, 2), ["setup", "data"]);
  assert.equal(ids[ids.length - 1], "report");
  assert.ok(ids.indexOf("notebooks") > ids.indexOf("data"));
  assert.equal(new Set(ids).size, ids.length, "step ids are unique");
});

test("an incomplete FMA_DIR stops the main job before any step, naming what is missing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-fma-"));
  fs.mkdirSync(path.join(dir, "fma_metadata"));
  fs.writeFileSync(path.join(dir, "fma_metadata", "tracks.csv"), "");
  const saved = process.env.FMA_DIR;
  const errors: string[] = [];
  const logs: string[] = [];
  const origError = console.error;
  const origLog = console.log;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  console.log = (...a: unknown[]) => logs.push(a.join(" "));
  try {
    process.env.FMA_DIR = dir;
    const code = await command.run(["--no-install"]);
    assert.equal(code, 2);
  } finally {
    console.error = origError;
    console.log = origLog;
    if (saved === undefined) delete process.env.FMA_DIR;
    else process.env.FMA_DIR = saved;
  }
  const text = errors.join("\n");
  assert.match(text, /no genres\.csv/);
  assert.match(text, /fma_small audio not downloaded/);
  assert.match(text, /fmalab download --subset small/);
  assert.deepEqual(logs.filter((l) => l.includes("===")), [], "no step started");
});

test("unknown step names are usage errors", async () => {
  await assert.rejects(command.run(["--only", "nope"]), /unknown step "nope"/);
});

test("the report index links notebook HTML, executed copies and figures relatively, and shows failures", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-report-"));
  const outDir = path.join(root, "out");
  const reportDir = path.join(outDir, "report");
  const figuresDir = path.join(root, "figures");
  fs.mkdirSync(path.join(outDir, "notebooks"), { recursive: true });
  fs.mkdirSync(reportDir, { recursive: true });
  fs.mkdirSync(figuresDir);
  fs.writeFileSync(path.join(reportDir, "00-a.html"), "<html></html>");
  fs.writeFileSync(path.join(outDir, "notebooks", "00-a.ipynb"), "{}");
  fs.writeFileSync(path.join(figuresDir, "genre-counts.svg"), "<svg/>");
  fs.writeFileSync(path.join(figuresDir, ".hidden.svg.tmp"), "");
  const ctx: MainContext = {
    root,
    dataDir: "/data/x",
    dataKind: "synthetic",
    subset: "small",
    install: false,
    outDir,
    reportDir,
    figuresDir,
    notebookRuns: [
      { name: "00-a.ipynb", ok: true, result: { notebook: "00-a.ipynb", outPath: "", htmlPath: null, seconds: 1.5, cells: [] }, error: null },
      { name: "01-b.ipynb", ok: false, result: null, error: "01-b.ipynb: cell 3 failed <boom>" },
    ],
    reportSections: [{ title: "Accuracy", html: "<p>section body</p>" }],
    failures: ["notebook 01-b.ipynb failed"],
    log: () => {},
  };
  const html = renderReportIndex(ctx);
  assert.match(html, /<a href="00-a\.html">HTML<\/a>/);
  assert.match(html, /<a href="\.\.\/notebooks\/00-a\.ipynb">executed \.ipynb<\/a>/);
  assert.match(html, /cell 3 failed &lt;boom&gt;/);
  assert.match(html, /<h2>Accuracy<\/h2>\n<p>section body<\/p>/);
  assert.match(html, /<img src="\.\.\/\.\.\/figures\/genre-counts\.svg"/);
  assert.match(html, /Figures \(1\)/);
});
