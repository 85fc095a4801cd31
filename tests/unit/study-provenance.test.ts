// No result without its provenance: on a real-layout FMA folder whose official splits miss a genre (built in
// a temp dir from the 8 real clips of ../shared/fma-sample), the study plan says so before any work, the
// main job stops under --splits stop, and a run whose test tracks overlap its training tracks is never
// reported as a test score: not by the run record, the log line, the report, nor any figure title.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openDataset } from "../../src/data";
import { PROJECT_ROOT } from "../../src/util/fs";
import {
  assertPlanRuns,
  countBySplit,
  ensureStudyCache,
  gatherReportInputs,
  makeStudyConfig,
  planStudySplits,
  resultsHtml,
  scoreLine,
  stratifiedResplit,
  StudySplitError,
  testDisjointFromTraining,
  trainStudyModel,
} from "../../src/study";
import { hasHeldOutTest, loadRun, scoreName } from "../../src/train/runs";
import { command as mainCommand } from "../../src/cli/commands/main";
import { captured } from "../helpers/capture";
import { buildReportFigures } from "../../src/plots/figures";

const SAMPLE = path.resolve(PROJECT_ROOT, "..", "shared", "fma-sample");
const hasSample = fs.existsSync(path.join(SAMPLE, "tracks.csv"));

/** The sample in the real FMA layout: fma_metadata/{tracks,genres}.csv and fma_small/NNN/NNNNNN.mp3. */
function realLayoutFma(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-partial-fma-"));
  fs.mkdirSync(path.join(dir, "fma_metadata"));
  for (const f of ["tracks.csv", "genres.csv"]) fs.copyFileSync(path.join(SAMPLE, f), path.join(dir, "fma_metadata", f));
  for (const f of fs.readdirSync(path.join(SAMPLE, "audio"))) {
    const sub = path.join(dir, "fma_small", f.slice(0, 3));
    fs.mkdirSync(sub, { recursive: true });
    fs.copyFileSync(path.join(SAMPLE, "audio", f), path.join(sub, f));
  }
  return dir;
}

test("the split plan: official when every genre is in every split, else a labelled smoke run, a re-split or a stop", () => {
  const t = (trackId: number, genre: string, split: "training" | "validation" | "test") => ({ trackId, genre, split });
  assert.equal(testDisjointFromTraining([t(1, "A", "training"), t(2, "A", "test")]), true);
  assert.equal(testDisjointFromTraining([t(1, "A", "training"), t(1, "A", "test")]), false);
  // A stratified re-split puts every genre in every split, disjointly, and is deterministic.
  const tracks = Array.from({ length: 30 }, (_, i) => t(i + 1, i % 2 ? "A" : "B", "training"));
  tracks.push(t(100, "C", "training"));
  const re = stratifiedResplit(tracks, 0);
  assert.deepEqual(re, stratifiedResplit(tracks, 0));
  assert.deepEqual(re.dropped, ["C (1 track)"]);
  assert.equal(testDisjointFromTraining(re.tracks), true);
  for (const g of ["A", "B"]) for (const s of ["training", "validation", "test"]) assert.ok(re.tracks.some((x) => x.genre === g && x.split === s), `${g} in ${s}`);
});

test("a real FMA folder whose splits miss a genre: the plan says so before any work, and --splits stop stops", async (t) => {
  if (!hasSample) return t.skip("../shared/fma-sample absent");
  const dir = realLayoutFma();
  const ds = openDataset(dir);
  const smoke = planStudySplits(makeStudyConfig({ dataDir: dir, sizes: "quick" }), ds);
  assert.equal(smoke.mode, "smoke");
  assert.equal(smoke.heldOut, false);
  assert.ok(smoke.problems.some((p) => /split has no track of/.test(p)), smoke.problems.join("; "));
  assert.match(smoke.summary, /SMOKE RUN.*no test score/);
  // Policy stop: nothing may run; a re-split of 1–2 tracks per genre has nothing left to split.
  const stop = planStudySplits(makeStudyConfig({ dataDir: dir, sizes: "quick", splitPolicy: "stop" }), ds);
  assert.equal(stop.stop, true);
  assert.throws(() => assertPlanRuns(stop), StudySplitError);
  const re = planStudySplits(makeStudyConfig({ dataDir: dir, sizes: "quick", splitPolicy: "resplit" }), ds);
  assert.equal(re.mode, "resplit");
  assert.equal(re.stop, re.tracks.length === 0);
  if (!re.stop) assert.equal(re.heldOut, true);

  // The main job: the split step announces the smoke run before the cache or training, and stops on request.
  const saved = process.env.FMA_DIR;
  process.env.FMA_DIR = dir;
  try {
    const announced = await captured(() => mainCommand.run(["--no-install", "--only", "splits"]));
    assert.equal(announced.code, 0, announced.err);
    assert.match(announced.out, /splits: SMOKE RUN/);
    assert.match(announced.out, /no number of this job is a test score/);
    assert.doesNotMatch(announced.out, /=== \[\d\/\d\] (cache|train)/);
    const stopped = await captured(() => mainCommand.run(["--no-install", "--only", "splits", "--splits", "stop"]));
    assert.equal(stopped.code, 2);
    assert.match(stopped.err, /cannot support the study: the \w+ split has no track of/);
    assert.match(stopped.err, /FMALAB_SPLITS=resplit/);
  } finally {
    if (saved === undefined) delete process.env.FMA_DIR;
    else process.env.FMA_DIR = saved;
  }
});

test("a run whose test tracks overlap its training tracks is never reported as a test score", async (t) => {
  if (!hasSample) return t.skip("../shared/fma-sample absent");
  const dir = realLayoutFma();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-provenance-"));
  const cfg = makeStudyConfig({ dataDir: dir, sizes: "quick", retrain: true, cacheRoot: path.join(root, "cache"), runsDir: path.join(root, "runs"), figuresDir: path.join(root, "figures") });
  const ds = openDataset(dir);
  const plan = planStudySplits(cfg, ds);
  assert.equal(plan.mode, "smoke");
  await ensureStudyCache(cfg, ds);
  const record = await trainStudyModel(cfg, ds, "feat_logreg", { overrides: { epochs: 2 }, log: () => undefined });
  const run = loadRun(record.dir);
  // The run records what its splits held, and the overlap is counted from its own tracks.
  assert.equal(run.config.data.splits?.mode, "smoke");
  assert.ok((run.config.data.splits?.testOverlap ?? 0) > 0);
  assert.equal(countBySplit(plan.tracks).test, run.config.data.tracks.test);
  assert.equal(hasHeldOutTest(run.config), false);
  assert.equal(hasHeldOutTest({ data: { splits: record.splits } }), false);
  // No output calls its number "test accuracy".
  assert.doesNotMatch(scoreName(run.config), /test accuracy/);
  assert.doesNotMatch(scoreLine(record), /test accuracy/);
  assert.match(scoreLine(record), /not a test score/);
  const html = resultsHtml({ figuresDir: cfg.figuresDir, reportDir: path.join(root, "report") }, record);
  assert.doesNotMatch(html, /test accuracy/);
  assert.match(html, /SMOKE RUN/);
  const { inputs } = await gatherReportInputs({ dataDir: dir, run: record.dir, runsDir: cfg.runsDir, outDir: cfg.figuresDir, saliency: "none", saliencyClips: 1, interactive: false, png: false });
  assert.ok(inputs.evaluation, "the run's evaluation is drawn");
  const { figures } = buildReportFigures(inputs);
  assert.ok(figures.length > 3);
  for (const f of figures) {
    assert.doesNotMatch(f.content, /test set|test accuracy/, `${f.name} claims a test score`);
    assert.match(f.content, /SMOKE RUN/, `${f.name} does not say it is a smoke run`);
  }
});
