// `fmalab figures` end to end on a fake run folder (+ the shared sample's metadata when present):
// byte-identical SVGs from two runs, and clear messages for missing inputs while other figures are written;
// a sweep's figure and table with --sweep (and its runs kept out of the study's own figures).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateFigures, type FiguresOptions } from "../../src/cli/commands/figures";
import { classificationReport } from "../../src/eval/metrics";
import { sharedDir } from "../../src/util/fs";
import { Rng } from "../../src/util/random";
import { makeSweepSpec, prepareSweep, sweepPoints, writeSweepPoints } from "../../src/cluster/sweep";
import { figureEntries } from "../../src/study/report";
import { main } from "../../src/cli/main";
import { captured } from "../helpers/capture";

const CLASSES = ["Folk", "Hip-Hop", "Pop", "Rock"];

/** A run folder shaped like src/train + src/eval write it (values invented, structure real). */
function writeFakeRun(runsDir: string, id: string, opts: { classWeights: boolean; seed: number; createdAt: string; weights?: number[]; trainingPerClass?: number[] }): string {
  const dir = path.join(runsDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(opts.seed);
  fs.writeFileSync(
    path.join(dir, "config.json"),
    JSON.stringify({
      format: "fmalab-run",
      version: 1,
      id,
      createdAt: opts.createdAt,
      train: { model: "mel_cnn4_128", seed: opts.seed, classWeights: opts.classWeights, data: "nowhere", runsDir },
      classes: CLASSES,
      model: { name: "mel_cnn4_128", input: { kind: "logmel", height: 128, width: 128, channels: 1 }, penultimateLayer: "gap", params: 1 },
      inputNorm: {},
      classWeights: opts.weights ?? null,
      data: { source: "nowhere", cacheDir: null, tracks: { training: 0, validation: 0, test: 40 }, trainingPerClass: opts.trainingPerClass, excluded: 0, excludedSample: [] },
      backend: { backend: "cpu", threads: 1, note: "" },
    }),
  );
  const lines = Array.from({ length: 6 }, (_, e) =>
    JSON.stringify({ epoch: e + 1, train_loss: 1.4 - 0.1 * e, train_acc: 0.3 + 0.08 * e, val_loss: 1.5 - 0.07 * e, val_acc: 0.28 + (opts.classWeights ? 0.06 : 0.05) * e, lr: 0.001, seconds: 2 }),
  );
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
  const n = 40;
  const truth = Array.from({ length: n }, (_, i) => i % CLASSES.length);
  const probs = truth.map((t) => {
    const p = CLASSES.map(() => rng.next());
    p[t] += 1.2;
    const s = p.reduce((a, b) => a + b, 0);
    return Float32Array.from(p.map((v) => v / s));
  });
  const report = classificationReport(truth, probs, CLASSES, { resamples: 50, seed: 1 });
  fs.writeFileSync(
    path.join(dir, "evaluation.json"),
    JSON.stringify({
      format: "fmalab-evaluation", version: 1, runId: id, model: "mel_cnn4_128", split: "test", classes: CLASSES, crops: 1, nTracks: n,
      createdAt: opts.createdAt, trackLevel: report, clipLevel: report, bootstrap: { resamples: 50, seed: 1, level: 0.95 },
      embeddings: { layer: "gap", dim: 8, file: "embeddings.f32" },
    }),
  );
  const trackIds = truth.map((_, i) => 1000 + i);
  fs.writeFileSync(
    path.join(dir, "predictions.jsonl"),
    truth.map((t, i) => {
      let best = 0;
      for (let c = 1; c < CLASSES.length; c++) if (probs[i][c] > probs[i][best]) best = c;
      return JSON.stringify({ trackId: trackIds[i], true: CLASSES[t], predicted: CLASSES[best], correct: best === t, probs: Array.from(probs[i]) });
    }).join("\n") + "\n",
  );
  const dim = 8;
  const emb = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) emb[i * dim + d] = (d === truth[i] ? 3 : 0) + rng.normal();
  fs.writeFileSync(path.join(dir, "embeddings.f32"), new Uint8Array(emb.buffer));
  fs.writeFileSync(
    path.join(dir, "embeddings.json"),
    JSON.stringify({ format: "fmalab-embeddings", version: 1, file: "embeddings.f32", dtype: "float32", layer: "gap", count: n, dim, split: "test", trackIds, labels: truth.map((t) => CLASSES[t]) }),
  );
  return dir;
}

function setup(): { root: string; runsDir: string; dataDir: string | null } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-figures-"));
  const runsDir = path.join(root, "runs");
  writeFakeRun(runsDir, "plain", { classWeights: false, seed: 3, createdAt: "2026-01-01T00:00:00Z" });
  writeFakeRun(runsDir, "weighted", { classWeights: true, seed: 3, createdAt: "2026-01-02T00:00:00Z" });
  const shared = sharedDir();
  let dataDir: string | null = null;
  if (shared && fs.existsSync(path.join(shared, "fma-sample", "tracks.csv"))) {
    // Metadata only (no audio: decoding is covered elsewhere); one genre id replaced by an unknown one.
    dataDir = path.join(root, "data");
    fs.mkdirSync(dataDir);
    fs.copyFileSync(path.join(shared, "fma-sample", "genres.csv"), path.join(dataDir, "genres.csv"));
    fs.copyFileSync(path.join(shared, "fma-sample", "tracks.csv"), path.join(dataDir, "tracks.csv"));
  }
  return { root, runsDir, dataDir };
}

function options(root: string, runsDir: string, dataDir: string | null, out: string): FiguresOptions {
  return {
    dataDir: dataDir ?? path.join(root, "no-data"),
    run: "weighted",
    runsDir,
    outDir: path.join(root, out),
    saliency: "none",
    saliencyClips: 1,
    interactive: false,
    png: false,
  };
}

test("fmalab figures: same run twice → byte-identical SVGs; every figure of the run is written", async () => {
  const { root, runsDir, dataDir } = setup();
  const a = await generateFigures(options(root, runsDir, dataDir, "a"));
  const b = await generateFigures(options(root, runsDir, dataDir, "b"));
  const names = (r: typeof a) => r.written.map((f) => path.basename(f)).sort();
  assert.deepEqual(names(a), names(b));
  for (const name of ["training-curves.svg", "confusion-matrix.svg", "per-class-scores.svg", "per-class-scores-table.html", "umap.svg", "class-weights-validation.svg", "run-comparison.svg"]) {
    assert.ok(names(a).includes(name), `${name} written (got ${names(a).join(", ")}; missing: ${a.missing.join(" | ")})`);
  }
  if (dataDir) for (const name of ["genre-distribution.svg", "genre-tree.svg", "genre-cooccurrence.svg"]) assert.ok(names(a).includes(name), name);
  for (const file of a.written) {
    const other = path.join(root, "b", path.basename(file));
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(other)), `${path.basename(file)} differs between two runs`);
  }
  // The class-weights comparison found the sibling run of the same model.
  assert.match(fs.readFileSync(path.join(root, "a", "class-weights-validation.svg"), "utf8"), /plain \(plain\)/);
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures: missing pieces are named with the fix, the other figures are still written", async (t) => {
  const { root, runsDir, dataDir } = setup();
  fs.rmSync(path.join(runsDir, "weighted", "embeddings.f32"));
  fs.writeFileSync(path.join(runsDir, "weighted", "metrics.jsonl"), "");
  if (dataDir) {
    const file = path.join(dataDir, "tracks.csv");
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.replace(/"\[21\]"|\[21\]/, "[9999]"));
  }
  const r = await generateFigures({ ...options(root, runsDir, dataDir, "out"), interactive: true });
  const names = r.written.map((f) => path.basename(f));
  // Interactive views: self-contained plotly pages for the inputs that are there.
  assert.ok(names.includes("confusion-matrix-interactive.html") && !names.includes("umap-interactive.html"), names.join(", "));
  assert.match(fs.readFileSync(path.join(root, "out", "confusion-matrix-interactive.html"), "utf8"), /window\.Plotly\.newPlot/);
  const missing = r.missing.join("\n");
  assert.match(missing, /umap: run weighted has no embeddings\.f32: rerun `fmalab evaluate --run weighted`/);
  assert.match(missing, /training-curves: run weighted has no epochs/);
  assert.ok(!names.includes("umap.svg") && !names.includes("training-curves.svg"));
  assert.ok(names.includes("confusion-matrix.svg") && names.includes("run-comparison.svg"), names.join(", "));
  if (!dataDir) {
    assert.match(missing, /dataset figures .*no genres\.csv/);
    t.diagnostic("../shared/fma-sample absent: dataset part not checked");
  } else {
    assert.match(missing, /unknown genre id 9999/);
    assert.match(missing, /track \d+|line \d+/);
    assert.match(missing, /example-spectrograms: no audio folder/);
    assert.ok(names.includes("genre-distribution.svg"), "distribution still drawn without the bad value");
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures: no runs at all → run figures skipped with a hint", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-figures-"));
  const r = await generateFigures({ ...options(root, path.join(root, "runs"), null, "out"), run: null });
  assert.match(r.missing.join("\n"), /no runs under .*train one with `fmalab train`/);
  assert.equal(r.written.length, 0);
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures: the run comparison has only the reported study's runs, one row each, and chance; per-class CIs; uniform class weights said", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-figures-"));
  const runsDir = path.join(root, "runs");
  writeFakeRun(runsDir, "study-synthetic-default-mel_cnn4_128", { classWeights: false, seed: 3, createdAt: "2026-01-01T00:00:00Z" });
  writeFakeRun(runsDir, "study-synthetic-default-mel_cnn4_128-cw", { classWeights: true, seed: 3, createdAt: "2026-01-02T00:00:00Z", weights: [1, 1, 1, 1] });
  // The test suite's smoke run of the same model on the quick sizes: not part of the default study.
  writeFakeRun(runsDir, "study-synthetic-quick-mel_cnn4_128", { classWeights: false, seed: 3, createdAt: "2026-01-03T00:00:00Z" });
  const r = await generateFigures({ ...options(root, runsDir, null, "out"), run: "study-synthetic-default-mel_cnn4_128" });
  const read = (name: string) => fs.readFileSync(path.join(root, "out", name), "utf8");
  const comparison = read("run-comparison.svg");
  assert.match(comparison, /Run comparison \(2 runs\)/);
  assert.match(comparison, />study-synthetic-default-mel_cnn4_128</);
  assert.match(comparison, />study-synthetic-default-mel_cnn4_128-cw</);
  assert.doesNotMatch(comparison, /quick/);
  assert.match(comparison, /mel_cnn4_128, class-weighted/);
  assert.match(comparison, /chance 25\.0 %/);
  assert.doesNotMatch(read("run-comparison-table.html"), /quick/);
  // Per-class scores carry the bootstrap intervals computed from predictions.jsonl.
  assert.match(read("per-class-scores.svg"), /whiskers: 95% bootstrap interval/);
  assert.match(read("per-class-scores-table.html"), /95% CI/);
  assert.match(read("class-weights-validation.svg"), /uniform class weights \(all 1\.000/);
  assert.ok(r.written.length > 0);
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures: no class-weighted twin of a run on a balanced training split → the figure's absence says why", async () => {
  for (const [perClass, expected] of [
    [[5, 5, 5, 5], /not drawn: lonely's training split is balanced \(5 tracks per genre\), so balanced class weights are all 1/],
    [[6, 5, 5, 5], /no run of mel_cnn4_128 with class weights to compare lonely with/],
  ] as Array<[number[], RegExp]>) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cw-"));
    const runsDir = path.join(root, "runs");
    writeFakeRun(runsDir, "lonely", { classWeights: false, seed: 4, createdAt: "2026-01-01T00:00:00Z", trainingPerClass: perClass });
    const r = await generateFigures({ ...options(root, runsDir, null, "out"), run: "lonely" });
    assert.ok(!r.written.some((f) => f.endsWith("class-weights-validation.svg")));
    assert.ok(r.missing.some((m) => expected.test(m)), `${perClass}: ${r.missing.join(" | ")}`);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** A sweep of the fake runs: points 0 and 1 evaluated, 2 incomplete (no evaluation.json), 3 not started; points.json written. */
function writeFakeSweep(root: string, runsDir: string): { spec: ReturnType<typeof makeSweepSpec>; ids: string[] } {
  const spec = makeSweepSpec({ name: "lrwd", data: "nowhere", base: { epochs: 6 }, grid: { lr: [0.01, 0.001], weightDecay: [0, 0.0001] } }, { baseDir: root });
  const points = sweepPoints(spec);
  points.slice(0, 3).forEach((p, i) => writeFakeRun(runsDir, p.runId, { classWeights: false, seed: 10 + i, createdAt: `2026-02-0${i + 1}T00:00:00Z` }));
  fs.rmSync(path.join(runsDir, points[2].runId, "evaluation.json"));
  writeSweepPoints(prepareSweep(spec, { runsDir }));
  return { spec, ids: points.map((p) => p.runId) };
}

test("fmalab figures with sweeps: sweep-<name>.svg and its table are written and listed in the figure index; the values are the runs'", async () => {
  const { root, runsDir } = setup();
  const { spec, ids } = writeFakeSweep(root, runsDir);
  const out = path.join(root, "out");
  const r = await generateFigures({ ...options(root, runsDir, null, "out"), sweeps: [spec] });
  const names = r.written.map((f) => path.basename(f));
  assert.ok(names.includes("sweep-lrwd.svg") && names.includes("sweep-lrwd-table.html"), names.join(", "));
  const svg = fs.readFileSync(path.join(out, "sweep-lrwd.svg"), "utf8");
  const accuracy = (id: string) => (JSON.parse(fs.readFileSync(path.join(runsDir, id, "evaluation.json"), "utf8")) as { trackLevel: { accuracy: number } }).trackLevel.accuracy;
  for (const id of ids.slice(0, 2)) assert.match(svg, new RegExp(`>${(100 * accuracy(id)).toFixed(1)} %<`), `point ${id}'s accuracy in its cell`);
  assert.match(svg, />incomplete</);
  assert.match(svg, />not started</);
  // The fake runs record no splits: their accuracy is not called a test score.
  assert.match(svg, /evaluation accuracy \(not a test score\)/);
  assert.match(svg, />25\.0 chance</);
  const table = fs.readFileSync(path.join(out, "sweep-lrwd-table.html"), "utf8");
  for (const id of ids) assert.match(table, new RegExp(id));
  const entries = figureEntries(out).map((e) => [e.name, e.svg ?? e.html]);
  assert.deepEqual(entries.filter(([n]) => n!.startsWith("sweep-")), [["sweep-lrwd", "sweep-lrwd.svg"], ["sweep-lrwd-table", "sweep-lrwd-table.html"]]);
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures without sweeps writes no sweep figure, and sweep runs stay out of the study's figures (default run, run comparison)", async () => {
  const { root, runsDir } = setup();
  const { ids } = writeFakeSweep(root, runsDir);
  const logs: string[] = [];
  // No --run: the newest run is a sweep run (created last), yet the newest study run is reported.
  const r = await generateFigures({ ...options(root, runsDir, null, "out"), run: null, log: (l) => logs.push(l) });
  const names = r.written.map((f) => path.basename(f));
  assert.ok(!names.some((n) => n.startsWith("sweep-")), names.join(", "));
  const read = (name: string) => fs.readFileSync(path.join(root, "out", name), "utf8");
  assert.match(read("training-curves.svg"), /run weighted/);
  const comparison = read("run-comparison.svg");
  assert.match(comparison, /Run comparison \(2 runs\)/);
  for (const id of ids) assert.ok(!comparison.includes(id) && !read("run-comparison-table.html").includes(id), `sweep run ${id} in the run comparison`);
  assert.ok(logs.some((l) => /3 sweep runs .* left out/.test(l)), logs.join("\n"));
  fs.rmSync(root, { recursive: true, force: true });
});

test("fmalab figures --sweep SPEC.json: the CLI reads the spec; a bad spec fails before anything is drawn", async () => {
  const { root, runsDir } = setup();
  writeFakeSweep(root, runsDir);
  const specFile = path.join(root, "sweep.json");
  fs.writeFileSync(specFile, JSON.stringify({ name: "lrwd", data: "nowhere", base: { epochs: 6 }, grid: { lr: [0.01, 0.001], weightDecay: [0, 0.0001] } }));
  const argv = ["figures", "--runs", runsDir, "--run", "weighted", "--data", path.join(root, "no-data"), "--saliency", "none", "--no-interactive", "--no-png", "--quiet"];
  const ok = await captured(() => main([...argv, "--out", path.join(root, "out"), "--sweep", specFile]));
  assert.equal(ok.code, 0, ok.err);
  assert.ok(fs.existsSync(path.join(root, "out", "sweep-lrwd.svg")) && fs.existsSync(path.join(root, "out", "sweep-lrwd-table.html")), ok.out);
  fs.writeFileSync(specFile, JSON.stringify({ name: "lrwd", data: "nowhere", grid: { learningRate: [0.01] } }));
  const bad = await captured(() => main([...argv, "--out", path.join(root, "bad"), "--sweep", specFile]));
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /sweep spec .*sweep\.json: grid: unknown option "learningRate"/);
  assert.ok(!fs.existsSync(path.join(root, "bad")), "nothing written");
  fs.rmSync(root, { recursive: true, force: true });
});
