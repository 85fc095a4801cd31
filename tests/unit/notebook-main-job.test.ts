// The main job's orchestration: a bad FMA_DIR stops it at once with the missing parts and the download
// hint; the report index links the notebooks and figures with relative paths.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { command, mainStudyEnv, MAIN_STEPS, renderReportIndex, resultsHtml, type MainContext } from "../../src/cli/commands/main";
import { classWeightedTwinSkipped, findReusableRun, studyConfig, studyRunPlan, studyTrainConfig, trainingGenreBalance } from "../../src/study";
import { resolveTrainConfig } from "../../src/train/config";

/**
 * Run the main job with every step's work replaced by `work(id, ctx)` (the real orchestration: flags,
 * headers, stops, failures, summary); returns the exit code, the steps that ran and the output.
 */
async function runMainWithStubs(
  argv: string[],
  work: (id: string, ctx: MainContext) => Promise<void | { stop: true; exitCode: number; message: string }> = async () => {},
): Promise<{ code: number; ran: string[]; headers: string[]; errors: string }> {
  const saved = MAIN_STEPS.map((s) => s.run);
  const savedFma = process.env.FMA_DIR;
  const ran: string[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const origLog = console.log;
  const origError = console.error;
  console.log = (...a: unknown[]) => logs.push(a.join(" "));
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    delete process.env.FMA_DIR;
    for (const step of MAIN_STEPS) {
      step.run = async (ctx) => {
        ran.push(step.id);
        return work(step.id, ctx);
      };
    }
    const code = await command.run(["--no-install", ...argv]);
    return { code, ran, headers: logs.filter((l) => l.includes("===")).map((l) => l.trim()), errors: errors.join("\n") };
  } finally {
    MAIN_STEPS.forEach((s, k) => (s.run = saved[k]));
    console.log = origLog;
    console.error = origError;
    if (savedFma !== undefined) process.env.FMA_DIR = savedFma;
  }
}

test("the main job runs its steps one after another under numbered headers; the notebooks come after the cache, runs and figures they reuse", async () => {
  const all = await runMainWithStubs([]);
  assert.equal(all.code, 0, all.errors);
  assert.deepEqual(all.headers.map((h) => /\] (\S+):/.exec(h)?.[1]), all.ran, "one header per step, in the order they ran");
  assert.ok(all.headers.every((h, k) => h.startsWith(`=== [${k + 1}/${all.ran.length}]`)), all.headers.join("\n"));
  const at = (id: string) => all.ran.indexOf(id);
  assert.deepEqual(all.ran.slice(0, 2), ["setup", "data"]);
  assert.equal(all.ran[all.ran.length - 1], "report");
  assert.ok(at("cache") < at("train") && at("train") < at("figures") && at("figures") < at("notebooks"), all.ran.join(" "));
  // Each step sees what the steps before it left in the shared context.
  const seen: string[][] = [];
  const chain = await runMainWithStubs([], async (_id, ctx) => {
    const shared = ctx as MainContext & { trail?: string[] };
    seen.push([...(shared.trail ?? [])]);
    shared.trail = [...(shared.trail ?? []), _id];
  });
  assert.equal(chain.code, 0);
  assert.deepEqual(seen, chain.ran.map((_, k) => chain.ran.slice(0, k)));
});

test("--only runs the named steps plus data and splits, in job order; --skip leaves steps out; unknown steps are refused", async () => {
  const only = await runMainWithStubs(["--only", "report", "--only", "cache"]);
  assert.deepEqual(only.ran, ["data", "splits", "cache", "report"]);
  const skip = await runMainWithStubs(["--skip", "setup", "--skip", "notebooks"]);
  assert.ok(!skip.ran.includes("setup") && !skip.ran.includes("notebooks") && skip.ran.includes("report"), skip.ran.join(" "));
  await assert.rejects(runMainWithStubs(["--skip", "nope"]), /unknown step "nope"/);
});

test("a step the rest depends on stops the job when it fails; a later step's failure is reported and the job goes on", async () => {
  const stopped = await runMainWithStubs([], async (id) => {
    if (id === "cache") throw new Error("disk on fire");
  });
  assert.equal(stopped.code, 1);
  assert.equal(stopped.ran[stopped.ran.length - 1], "cache", "nothing after the cache step ran");
  assert.match(stopped.errors, /stopped at step "cache":\nstep "cache" failed: disk on fire/);
  const goesOn = await runMainWithStubs([], async (id) => {
    if (id === "figures") throw new Error("no fonts");
  });
  assert.equal(goesOn.code, 1);
  assert.ok(goesOn.ran.indexOf("notebooks") > goesOn.ran.indexOf("figures") && goesOn.ran.includes("report"), goesOn.ran.join(" "));
  assert.match(goesOn.errors, /problems:\n  - step "figures" failed: no fonts/);
  // A step may stop the job itself, with its own status and message.
  const asked = await runMainWithStubs([], async (id) => (id === "splits" ? { stop: true, exitCode: 3, message: "splits cannot support the study" } : undefined));
  assert.equal(asked.code, 3);
  assert.equal(asked.ran[asked.ran.length - 1], "splits");
});

/** Run the main job with FMA_DIR=dir and captured output; returns the exit code, stderr and the step headers. */
async function runMainWithFmaDir(dir: string, argv: string[] = []): Promise<{ code: number; errors: string; headers: string[] }> {
  const saved = process.env.FMA_DIR;
  const errors: string[] = [];
  const logs: string[] = [];
  const origError = console.error;
  const origLog = console.log;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  console.log = (...a: unknown[]) => logs.push(a.join(" "));
  try {
    process.env.FMA_DIR = dir;
    const code = await command.run(["--no-install", ...argv]);
    return { code, errors: errors.join("\n"), headers: logs.filter((l) => l.includes("===")) };
  } finally {
    console.error = origError;
    console.log = origLog;
    if (saved === undefined) delete process.env.FMA_DIR;
    else process.env.FMA_DIR = saved;
  }
}

function fakeFma(parts: { tracks?: boolean; genres?: boolean; audio?: "small-with-clip" | "small-empty" | null }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-fma-"));
  fs.mkdirSync(path.join(dir, "fma_metadata"));
  if (parts.tracks) fs.writeFileSync(path.join(dir, "fma_metadata", "tracks.csv"), "");
  if (parts.genres) fs.writeFileSync(path.join(dir, "fma_metadata", "genres.csv"), "");
  if (parts.audio) {
    fs.mkdirSync(path.join(dir, "fma_small", "000"), { recursive: true });
    if (parts.audio === "small-with-clip") fs.writeFileSync(path.join(dir, "fma_small", "000", "000002.mp3"), "");
  }
  return dir;
}

test("FMA_DIR without tracks.csv stops the main job at once, naming it and the download command", async () => {
  const dir = fakeFma({ genres: true, audio: "small-with-clip" });
  const { code, errors, headers } = await runMainWithFmaDir(dir);
  assert.equal(code, 2);
  assert.match(errors, /no tracks\.csv/);
  assert.ok(errors.includes(`fmalab download --subset small --dir ${dir}`), errors);
  assert.deepEqual(headers, [], "no step started");
});

test("FMA_DIR without the audio folder stops the main job, naming the folder and the download command", async () => {
  const dir = fakeFma({ tracks: true, genres: true, audio: null });
  const { code, errors, headers } = await runMainWithFmaDir(dir);
  assert.equal(code, 2);
  assert.ok(errors.includes(`fma_small audio not downloaded: no folder ${path.join(dir, "fma_small")}`), errors);
  assert.ok(errors.includes(`fmalab download --subset small --dir ${dir}`), errors);
  assert.doesNotMatch(errors, /tracks\.csv|genres\.csv/, "only what is missing is named");
  assert.deepEqual(headers, []);
});

test("FMA_DIR with fma_small but another subset asked for stops, naming the subset not downloaded", async () => {
  const dir = fakeFma({ tracks: true, genres: true, audio: "small-with-clip" });
  const { code, errors, headers } = await runMainWithFmaDir(dir, ["--subset", "medium"]);
  assert.equal(code, 2);
  assert.ok(errors.includes(`fma_medium audio not downloaded: no folder ${path.join(dir, "fma_medium")}`), errors);
  assert.ok(errors.includes(`fmalab download --subset medium --dir ${dir}`), errors);
  assert.deepEqual(headers, []);
});

test("FMA_DIR whose audio folder holds no clip stops the main job", async () => {
  const dir = fakeFma({ tracks: true, genres: true, audio: "small-empty" });
  const { code, errors, headers } = await runMainWithFmaDir(dir);
  assert.equal(code, 2);
  assert.match(errors, /holds no NNNNNN\.mp3 clips/);
  assert.ok(errors.includes(`fmalab download --subset small --dir ${dir}`), errors);
  assert.deepEqual(headers, []);
});

test("the main job hands the notebooks its dataset, and the full sizes on the real FMA unless FMALAB_FULL says otherwise", () => {
  const fma = mainStudyEnv({ dataDir: "/data/fma", dataKind: "fma" }, { PATH: "/bin" });
  assert.equal(fma.FMALAB_DATA, "/data/fma");
  assert.equal(fma.FMALAB_FULL, "1");
  assert.equal(mainStudyEnv({ dataDir: "/data/fma", dataKind: "fma" }, { FMALAB_FULL: "0" }).FMALAB_FULL, "0");
  const synth = mainStudyEnv({ dataDir: "/x/data/synthetic", dataKind: "synthetic" }, { FMALAB_DATA: "/elsewhere" });
  assert.equal(synth.FMALAB_DATA, "/x/data/synthetic");
  assert.equal(synth.FMALAB_FULL, undefined);
  // The study sizes follow: full on real data, default on the synthetic set.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-kind-"));
  assert.equal(studyConfig(mainStudyEnv({ dataDir: dir, dataKind: "fma" }, {})).sizes.name, "full");
  assert.equal(studyConfig(mainStudyEnv({ dataDir: dir, dataKind: "synthetic" }, {})).sizes.name, "default");
});

test("the run plan is what notebook 03 trains: the default CNN first, baselines, class-weighted twin (not quick, unbalanced training split), seed model (full)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-plan-"));
  const track = (trackId: number, genre: string, split: "training" | "validation" | "test") => ({ trackId, genre, split });
  // Rock 3, Pop 2 training tracks: balanced class weights differ from 1, so the twin trains something else.
  const unbalanced = { tracks: [track(1, "Rock", "training"), track(2, "Rock", "training"), track(3, "Rock", "training"), track(4, "Pop", "training"), track(5, "Pop", "training"), track(6, "Pop", "test")] };
  // 2 + 2 training tracks (the test split's imbalance does not matter): weights all 1, no twin.
  const balanced = { tracks: [track(1, "Rock", "training"), track(2, "Rock", "training"), track(4, "Pop", "training"), track(5, "Pop", "training"), track(6, "Pop", "test")] };
  const def = studyRunPlan(studyConfig({ FMALAB_DATA: dir }), unbalanced);
  assert.deepEqual(def.map((p) => p.model), ["mel_cnn4_128", "feat_logreg", "feat_mlp", "mel_cnn4_128"]);
  assert.deepEqual(def.map((p) => p.main), [true, false, false, false]);
  assert.equal(def[3].overrides?.classWeights, true);
  assert.match(String(def[3].overrides?.runId), /-cw$/);
  assert.equal(classWeightedTwinSkipped(studyConfig({ FMALAB_DATA: dir }), unbalanced), null);
  const even = studyRunPlan(studyConfig({ FMALAB_DATA: dir }), balanced);
  assert.deepEqual(even.map((p) => p.model), ["mel_cnn4_128", "feat_logreg", "feat_mlp"]);
  assert.match(String(classWeightedTwinSkipped(studyConfig({ FMALAB_DATA: dir }), balanced)), /all 1 .*2 tracks in each of 2 genres/);
  assert.deepEqual(trainingGenreBalance(balanced), { counts: { Rock: 2, Pop: 2 }, balanced: true });
  const quick = studyRunPlan(studyConfig({ FMALAB_DATA: dir, FMALAB_TEST: "1" }), unbalanced);
  assert.deepEqual(quick.map((p) => p.model), ["mel_cnn4_128", "feat_logreg", "feat_mlp"]);
  const full = studyRunPlan(studyConfig({ FMALAB_DATA: dir, FMALAB_FULL: "1" }), balanced);
  assert.equal(full[full.length - 1].model, "seed_improved_v2");
});

test("runs are reused unless FMALAB_RETRAIN=1, never in the test settings", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-reuse-"));
  assert.equal(studyConfig({ FMALAB_DATA: dir }).retrain, false);
  assert.equal(studyConfig({ FMALAB_DATA: dir, FMALAB_RETRAIN: "1" }).retrain, true);
  assert.equal(studyConfig({ FMALAB_DATA: dir, FMALAB_RETRAIN: "0" }).retrain, false);
  assert.equal(studyConfig({ FMALAB_DATA: dir, FMALAB_TEST: "1" }).retrain, true);
});

test("findReusableRun accepts only a finished run of the same configuration on the same tracks", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-data-"));
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-runs-"));
  const cfg = { ...studyConfig({ FMALAB_DATA: dataDir }), runsDir: runsDir };
  const input = studyTrainConfig(cfg, "feat_logreg");
  const resolved = resolveTrainConfig(input);
  const runDir = path.join(runsDir, resolved.runId!);
  const tracks = [
    ...Array.from({ length: 4 }, (_, i) => ({ trackId: i + 1, genre: "Rock", split: "training" as const })),
    { trackId: 10, genre: "Rock", split: "validation" as const },
    { trackId: 20, genre: "Rock", split: "test" as const },
  ];
  const data = { source: dataDir, tracks: tracks, excluded: [], reader: null as never, nMels: 128, cacheDir: "/cache/x" };
  const official = { mode: "official", summary: "official FMA splits", testOverlap: 0 };
  const writeRun = (train: object, counts = { training: 4, validation: 1, test: 1 }, parts = { evaluation: true, last: true }, splits: object | null = official) => {
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(runDir, "best"), { recursive: true });
    if (parts.last) fs.mkdirSync(path.join(runDir, "last"));
    // Through JSON, as trainModel writes it (undefined fields dropped, key order of the resolver).
    fs.writeFileSync(
      path.join(runDir, "config.json"),
      JSON.stringify({ format: "fmalab-run", version: 1, id: resolved.runId, train: train, classes: ["Rock"], data: { source: dataDir, cacheDir: "/cache/x", tracks: counts, excluded: 0, excludedSample: [], ...(splits ? { splits: splits } : {}) }, backend: { backend: "wasm", threads: 1, note: "" } }),
    );
    fs.writeFileSync(path.join(runDir, "metrics.jsonl"), JSON.stringify({ epoch: 1, train_loss: 1, train_acc: 0.5, val_loss: 0.9, val_acc: 0.5, lr: 0.01, seconds: 2 }) + "\n");
    if (parts.evaluation) fs.writeFileSync(path.join(runDir, "evaluation.json"), JSON.stringify({ format: "fmalab-evaluation", trackLevel: { accuracy: 1 } }));
  };
  const same = { ...resolved, runId: resolved.runId };
  writeRun(same);
  assert.equal(findReusableRun(input, data)?.id, resolved.runId);
  // Key order does not matter; values do.
  writeRun(Object.fromEntries(Object.entries(same).reverse()));
  assert.equal(findReusableRun(input, data)?.id, resolved.runId);
  writeRun({ ...same, epochs: same.epochs + 1 });
  assert.equal(findReusableRun(input, data), null, "other epochs");
  writeRun({ ...same, classWeights: true });
  assert.equal(findReusableRun(input, data), null, "other class weights");
  writeRun(same, { training: 3, validation: 1, test: 1 });
  assert.equal(findReusableRun(input, data), null, "other tracks");
  writeRun(same, undefined, { evaluation: false, last: true });
  assert.equal(findReusableRun(input, data), null, "not evaluated");
  writeRun(same, undefined, { evaluation: true, last: false });
  assert.equal(findReusableRun(input, data), null, "unfinished");
  writeRun(same);
  assert.equal(findReusableRun(input, { ...data, cacheDir: "/cache/other" }), null, "other cache");
  writeRun(same, undefined, undefined, null);
  assert.equal(findReusableRun(input, data), null, "splits not recorded (trained before provenance was recorded)");
  writeRun(same, undefined, undefined, { mode: "smoke", summary: "SMOKE RUN", testOverlap: 4 });
  assert.equal(findReusableRun(input, data), null, "a smoke run is not reused for official splits");
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
  fs.writeFileSync(path.join(figuresDir, "umap.svg"), "<svg/>");
  fs.writeFileSync(path.join(figuresDir, "umap.png"), "png");
  fs.writeFileSync(path.join(figuresDir, "umap-interactive.html"), "<html></html>");
  fs.writeFileSync(path.join(figuresDir, "run-comparison-table.html"), "<table></table>");
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
    stepSeconds: [{ id: "data", seconds: 12.3 }],
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
  // Each figure once: the PNG (not the SVG too), linking to its interactive page, with links to every file.
  assert.equal(html.match(/<img /g)?.length, 2);
  assert.match(html, /<a href="\.\.\/\.\.\/figures\/umap-interactive\.html"><img src="\.\.\/\.\.\/figures\/umap\.png"/);
  assert.doesNotMatch(html, /<img src="[^"]*umap\.svg"/);
  assert.match(html, /<strong>umap<\/strong> — <a [^>]*umap\.svg">SVG<\/a> · <a [^>]*umap\.png">PNG<\/a> · <a [^>]*umap-interactive\.html">interactive<\/a>/);
  assert.match(html, /<iframe src="\.\.\/\.\.\/figures\/run-comparison-table\.html"/);
  assert.match(html, /Figures \(3\)/);
  assert.match(html, /Steps: data 12 s/);
});

test("the report's results section gives accuracy with its interval, macro-F1, time, backend and the per-class table", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-results-"));
  const figuresDir = path.join(root, "figures");
  const reportDir = path.join(root, "out", "report");
  fs.mkdirSync(figuresDir, { recursive: true });
  const interval = (low: number, high: number) => ({ low: low, high: high });
  const run = {
    id: "study-x",
    dir: "/runs/study-x",
    config: { model: "mel_cnn4_128", modelOptions: { width: 0.5 } },
    classes: ["A", "B"],
    metrics: [{ seconds: 10.4 }, { seconds: 20.2 }],
    bestEpoch: 2,
    bestValLoss: 0.5,
    stoppedEarly: false,
    resumedAfterEpoch: 0,
    backend: { backend: "wasm", threads: 1, note: "" },
    evaluation: {
      crops: 3,
      trackLevel: {
        n: 40,
        classes: ["A", "B"],
        accuracy: 0.625,
        top2Accuracy: 0.9,
        macro: { precision: 0.6, recall: 0.6, f1: 0.6123 },
        intervals: { accuracy: interval(0.475, 0.775), macroF1: interval(0.4, 0.75) },
        perClass: [
          { label: "A", precision: 0.5, recall: 0.75, f1: 0.6, support: 20 },
          { label: "B<", precision: 0.7, recall: 0.5, f1: 0.583, support: 20 },
        ],
      },
    },
    excluded: [],
    splits: { mode: "official", summary: "official FMA splits", testOverlap: 0 },
  } as never;
  const without = resultsHtml({ figuresDir: figuresDir, reportDir: reportDir }, run);
  assert.match(without, /test accuracy <strong>62\.5 %<\/strong> \(95 % bootstrap CI 47\.5 %–77\.5 %\) on 40 test tracks, 3 crops each; chance 50\.0 %/);
  assert.match(without, /macro-F1 0\.612 \(95 % CI 0\.400–0\.750\)/);
  assert.match(without, /training time 31 s \(2 epochs incl\. validation\) on the wasm backend, 1 thread/);
  assert.match(without, /<td>B&lt;<\/td><td>0\.700<\/td><td>0\.500<\/td><td>0\.583<\/td><td>20<\/td>/);
  assert.match(without, /per-class table: below/);
  fs.writeFileSync(path.join(figuresDir, "per-class-scores-table.html"), "<table></table>");
  assert.match(resultsHtml({ figuresDir: figuresDir, reportDir: reportDir }, run), /<a href="\.\.\/\.\.\/figures\/per-class-scores-table\.html">/);
  // A smoke run (test tracks = training tracks) is never called test accuracy.
  const smoke = { ...(run as object), splits: { mode: "smoke", summary: "SMOKE RUN (trained and scored on the same tracks)", testOverlap: 40 } } as never;
  const smokeHtml = resultsHtml({ figuresDir: figuresDir, reportDir: reportDir }, smoke);
  assert.doesNotMatch(smokeHtml, /test accuracy/);
  assert.match(smokeHtml, /smoke-run accuracy on training tracks \(not a test score\) <strong>62\.5 %<\/strong>/);
  assert.match(smokeHtml, /SMOKE RUN/);
});
