// The report figures of the study: gather their inputs from the dataset and a run (gatherReportInputs),
// render every figure whose input is there and write them (generateFigures: SVG + PNG, HTML tables, the
// interactive plotly views). A missing input skips only the figures that need it, with a message saying
// what is missing and how to make it. `fmalab figures`, the main job and notebook 05 all call this.
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_MEL_OPTIONS } from "../features/melspec";
import type { ReportFigureInputs, RenderedFigure } from "../plots/figures";
import { readPredictions, readRunEmbeddings, umapPoints } from "./predictions";
import { saliencyMethod, SALIENCY_METHOD_LABELS, type SaliencyMethodName } from "./saliency-methods";
import { sweepFigureInput, sweepRunIds, sweepTable, type SweepSpec } from "./sweeps";

/* eslint-disable @typescript-eslint/no-var-requires -- lazy stages, see dataset.ts */

export interface FiguresOptions {
  dataDir: string;
  /** Run id/folder, or null for the newest run under runsDir (none: run figures are skipped). */
  run: string | null;
  runsDir: string;
  compare?: string | null;
  outDir: string;
  saliency: SaliencyMethodName | "none";
  saliencyClips: number;
  interactive: boolean;
  png: boolean;
  /**
   * What the splits hold when they are not a held-out test (the study's split plan summary): put in every
   * figure title. Default: taken from the run (its config.json data.splits) when its test is not held out.
   */
  splitNote?: string;
  /**
   * Sweeps to draw (their runs under runsDir): figures/sweep-<name>.svg (+ .png) and sweep-<name>-table.html
   * each. Without it no sweep figure is written (sweep runs never enter the study's own run comparison).
   */
  sweeps?: SweepSpec[];
  log?: (line: string) => void;
}

/** FiguresOptions with the defaults of `fmalab figures` (gradcam, 4 clips per genre, interactive, PNG). */
export function figuresOptions(o: Pick<FiguresOptions, "dataDir" | "runsDir" | "outDir"> & Partial<FiguresOptions>): FiguresOptions {
  return { run: null, saliency: "gradcam", saliencyClips: 4, interactive: true, png: true, ...o };
}

export interface FiguresResult {
  /** Files written (absolute paths). */
  written: string[];
  /** What could not be drawn and why. */
  missing: string[];
}

// The log-mel every stored spectrogram has (librosa's defaults: 22050 Hz, hop 512).
const MEL_SR = DEFAULT_MEL_OPTIONS.sr;
const MEL_HOP = DEFAULT_MEL_OPTIONS.hopLength;

/** Subgenres shown in the co-occurrence figure (the most frequent in genres_all). */
export const COOCCURRENCE_TOP_SUBGENRES = 20;

/**
 * The co-occurrence figure's input: Jaccard of the `top` most frequent genres_all subgenres (labelled
 * "title (top genre, tracks)", grouped by top genre), the diagonal left blank; null with fewer than 2.
 */
export function cooccurrenceInput(
  records: import("../data/tracks").TrackRecord[],
  tree: import("../data/genres").GenreTree,
  what: string,
  top = COOCCURRENCE_TOP_SUBGENRES,
): NonNullable<ReportFigureInputs["cooccurrence"]> | null {
  const { subgenreCooccurrence } = require("../analysis/genres") as typeof import("../analysis/genres");
  const m = subgenreCooccurrence(records, tree, { top });
  if (m.ids.length < 2) return null;
  return {
    labels: m.titles.map((t, i) => `${t} (${m.roots[i]}, ${m.support[i]})`),
    values: m.jaccard.map((row, i) => row.map((v, j) => (i === j ? null : Math.round(v * 1000) / 1000))),
    valueName: "Jaccard",
    title: `Subgenre co-occurrence in genres_all (Jaccard), the ${m.ids.length} most frequent subgenres`,
    subtitle: `${m.tracks} tracks of ${what} carrying them; label: subgenre (top genre, tracks); diagonal blank`,
  };
}

/**
 * Co-occurrence of genres_all subgenres into `inputs` (the top-genre matrix is the identity: a track with a
 * genre_top has all its genres under that one root), or why not into `missing`.
 */
function addCooccurrence(
  records: import("../data/tracks").TrackRecord[],
  tree: import("../data/genres").GenreTree,
  subset: string,
  inputs: ReportFigureInputs,
  missing: string[],
): void {
  const withGenres = records.filter((r) => r.genresAll.length > 0);
  const cooc = withGenres.length > 0 ? cooccurrenceInput(withGenres, tree, `fma_${subset}`) : null;
  if (withGenres.length === 0) missing.push(`genre-cooccurrence: no track of fma_${subset} has genres_all`);
  else if (!cooc) missing.push(`genre-cooccurrence: the tracks of fma_${subset} carry fewer than 2 subgenres in genres_all`);
  else inputs.cooccurrence = cooc;
}

/** Dataset-derived inputs: distribution, tree, co-occurrence, example spectrograms. */
async function datasetInputs(dataDir: string, inputs: ReportFigureInputs, missing: string[], log: (s: string) => void): Promise<void> {
  const { loadGenres } = require("../data/genres") as typeof import("../data/genres");
  const { loadTracks, audioPath, flatAudioPath } = require("../data/tracks") as typeof import("../data/tracks");
  const { defaultDatasetSubset } = require("../data/dataset") as typeof import("../data/dataset");
  const root = path.resolve(dataDir);
  const metadataDir = fs.existsSync(path.join(root, "fma_metadata", "tracks.csv")) ? path.join(root, "fma_metadata") : root;
  const genresFile = path.join(metadataDir, "genres.csv");
  const tracksFile = path.join(metadataDir, "tracks.csv");
  if (!fs.existsSync(genresFile) || !fs.existsSync(tracksFile)) {
    missing.push(
      `dataset figures (genre-distribution, genre-tree, genre-cooccurrence, example-spectrograms): no ${fs.existsSync(genresFile) ? "tracks.csv" : "genres.csv"} in ${metadataDir} ` +
        "(pass --data DIR, or run `fmalab download` / `fmalab synth`)",
    );
    return;
  }
  const tree = loadGenres(genresFile);
  inputs.genres = tree.genres.map((g) => ({ id: g.id, parent: g.parent, title: g.title, tracks: g.tracks }));
  // Bad cells (e.g. a genre id missing from genres.csv) are recorded, named, and left out; the rest is drawn.
  const all = loadTracks(tracksFile, { genres: tree, badValues: "record" });
  for (const problem of all.problems.slice(0, 10)) missing.push(`${problem.message} (value left out of the figures)`);
  if (all.problems.length > 10) missing.push(`${tracksFile}: … ${all.problems.length - 10} more bad cells`);
  const subset = defaultDatasetSubset(root);
  const tracks = all.subset(subset);
  const labelled = tracks.records.filter((r) => r.genreTop !== null && r.split !== null);
  const counts = new Map<string, number>();
  for (const r of labelled) {
    const key = `${r.genreTop}\u0000${r.split}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (labelled.length === 0) {
    missing.push(`genre-distribution: no track of fma_${subset} in ${tracksFile} has both genre_top and a split`);
  } else {
    inputs.genreSplitCounts = [...counts.entries()].sort().map(([key, count]) => {
      const [genre, split] = key.split("\u0000");
      return { genre, split, count };
    });
    for (const split of ["training", "validation", "test"]) {
      if (!labelled.some((r) => r.split === split)) missing.push(`the ${split} split of fma_${subset} is empty (${tracksFile})`);
    }
  }
  addCooccurrence(tracks.records, tree, subset, inputs, missing);
  // One example clip per genre: the lowest track id of the test split (else any split) with audio.
  const nestedAudio = path.join(root, `fma_${subset}`);
  const audioDir = fs.existsSync(nestedAudio) ? nestedAudio : fs.existsSync(path.join(root, "audio")) ? path.join(root, "audio") : null;
  if (!audioDir) {
    missing.push(`example-spectrograms: no audio folder (${nestedAudio} or ${path.join(root, "audio")}); run \`fmalab download\` for the clips`);
    return;
  }
  const nested = fs.readdirSync(audioDir, { withFileTypes: true }).some((e) => e.isDirectory() && /^\d{3}$/.test(e.name));
  const clipPath = (id: number) => (nested ? audioPath(audioDir, id) : flatAudioPath(audioDir, id));
  const { loadAudio } = require("../audio/load") as typeof import("../audio/load");
  const { logMelSpectrogram } = require("../features/melspec") as typeof import("../features/melspec");
  const genres = [...new Set(labelled.map((r) => r.genreTop!))].sort();
  const panels: NonNullable<ReportFigureInputs["exampleSpectrograms"]>["panels"] = [];
  for (const genre of genres) {
    const candidates = labelled
      .filter((r) => r.genreTop === genre && fs.existsSync(clipPath(r.trackId)))
      .sort((a, b) => (a.split === "test" ? 0 : 1) - (b.split === "test" ? 0 : 1) || a.trackId - b.trackId);
    let done = false;
    for (const r of candidates.slice(0, 3)) {
      try {
        const audio = await loadAudio(clipPath(r.trackId), { sr: MEL_SR });
        panels.push({ genre, trackId: r.trackId, spec: logMelSpectrogram(audio.pcm, { sr: MEL_SR, hopLength: MEL_HOP }) });
        done = true;
        break;
      } catch (err) {
        missing.push(`example-spectrograms: track ${r.trackId} (${genre}) could not be decoded: ${(err as Error).message.split("\n")[0]}`);
      }
    }
    if (!done && candidates.length === 0) missing.push(`example-spectrograms: no clip of genre ${genre} on disk in ${audioDir}`);
  }
  log(`decoded ${panels.length} example clips`);
  if (panels.length > 0) inputs.exampleSpectrograms = { panels, sr: MEL_SR, hopLength: MEL_HOP };
}

/** The run comparison's input: only the runs of `run`'s study (its data and sizes), one row per run. */
function runComparisonInput(
  runs: ReturnType<typeof import("../train/runs").listRuns>,
  run: ReturnType<typeof import("../train/runs").loadRun>,
  runsDir: string,
  inputs: ReportFigureInputs,
  missing: string[],
  log: (s: string) => void,
): void {
  const { compareRuns } = require("../train/runs") as typeof import("../train/runs");
  const studyRuns = runs.filter((r) => r.evaluation && sameStudy(r, run));
  if (run.evaluation && !studyRuns.some((r) => r.id === run.id)) studyRuns.push(run);
  if (studyRuns.length > 0) {
    const weighted = new Set(studyRuns.filter((r) => r.config.train.classWeights !== false).map((r) => r.id));
    inputs.runComparison = compareRuns(studyRuns).map((row) => (weighted.has(row.run) ? { ...row, variant: "class-weighted" } : row));
    inputs.chance = 1 / Math.max(1, run.config.classes.length);
    const left = runs.filter((r) => r.evaluation).length - studyRuns.length;
    if (left > 0) log(`run comparison: ${studyRuns.length} runs of ${run.id}'s study (${left} other evaluated runs under ${runsDir} left out: other data or sizes)`);
  } else {
    missing.push(`run-comparison: no run of ${run.id}'s study under ${runsDir} has an evaluation.json (train with \`fmalab train\`, then \`fmalab evaluate --run ID\`)`);
  }
}

/** The UMAP of the test embeddings, misclassified tracks marked, with its trustworthiness. */
function umapInput(run: ReturnType<typeof import("../train/runs").loadRun>, inputs: ReportFigureInputs, missing: string[], log: (s: string) => void): void {
  const { RUN_FILES } = require("../train/runs") as typeof import("../train/runs");
  const again = `rerun \`fmalab evaluate --run ${run.id}\``;
  const embFile = path.join(run.dir, RUN_FILES.embeddings);
  const predFile = path.join(run.dir, RUN_FILES.predictions);
  if (!fs.existsSync(embFile) || !fs.existsSync(path.join(run.dir, RUN_FILES.embeddingsMeta))) {
    missing.push(`umap: run ${run.id} has no ${RUN_FILES.embeddings}: ${again}`);
  } else if (!fs.existsSync(predFile)) {
    missing.push(`umap: run ${run.id} has no ${RUN_FILES.predictions}: ${again}`);
  } else {
    const emb = readRunEmbeddings(run.dir);
    const preds = readPredictions(run.dir);
    if (emb.rows.length < 4) {
      missing.push(`umap: run ${run.id} has ${emb.rows.length} embedded tracks; UMAP needs at least 4`);
    } else {
      log(`UMAP of ${emb.rows.length} embeddings`);
      const u = umapPoints(emb, preds, { seed: run.config.train.seed });
      inputs.umap = u.points;
      const { toPointMatrix, trustworthiness } = require("../analysis/embeddings") as typeof import("../analysis/embeddings");
      const k = Math.max(1, Math.min(10, Math.ceil(emb.rows.length / 2) - 1));
      inputs.umapTrustworthiness = { k: k, value: trustworthiness(toPointMatrix(emb.rows), toPointMatrix(u.layout), k) };
    }
  }
}

/** Run-derived inputs: curves, evaluation, UMAP, saliency, class-weights comparison, run comparison. */
async function runInputs(opts: FiguresOptions, inputs: ReportFigureInputs, missing: string[], log: (s: string) => void): Promise<void> {
  const { listRuns, loadRun, RUN_FILES } = require("../train/runs") as typeof import("../train/runs");
  // A sweep's runs sit beside the study's: never the default run, a class-weights partner or a comparison row.
  const sweepIds = sweepRunIds(opts.runsDir);
  const all = fs.existsSync(opts.runsDir) ? listRuns(opts.runsDir) : [];
  const runs = all.filter((r) => !sweepIds.has(r.id));
  if (runs.length < all.length) log(`${all.length - runs.length} sweep runs under ${opts.runsDir} left out of the study's run figures (draw a sweep with --sweep SPEC.json)`);
  let runDir: string;
  if (opts.run) {
    runDir = fs.existsSync(path.join(opts.run, RUN_FILES.config)) ? opts.run : path.join(opts.runsDir, opts.run);
    if (!fs.existsSync(path.join(runDir, RUN_FILES.config))) {
      missing.push(`run figures: no run "${opts.run}" (looked for ${path.resolve(runDir, RUN_FILES.config)})`);
      return;
    }
  } else if (runs.length > 0) {
    runDir = runs[runs.length - 1].dir;
    log(`run: ${path.basename(runDir)} (the newest under ${opts.runsDir}; pick another with --run ID)`);
  } else {
    missing.push(`run figures (training-curves, confusion-matrix, per-class-scores, umap, saliency-per-genre): no runs under ${opts.runsDir}${all.length ? ` but sweep runs` : ""}; train one with \`fmalab train\``);
    return;
  }
  const run = loadRun(runDir);
  inputs.runId = run.id;
  runComparisonInput(runs, run, opts.runsDir, inputs, missing, log);
  const { hasHeldOutTest, scoreName } = require("../train/runs") as typeof import("../train/runs");
  if (!hasHeldOutTest(run.config)) inputs.splitNote ??= `${run.config.data.splits?.summary ?? "splits not recorded"}: ${scoreName(run.config)}`;
  const again = `rerun \`fmalab evaluate --run ${run.id}\``;
  if (run.metrics.length > 0) inputs.metrics = run.metrics;
  else missing.push(`training-curves: run ${run.id} has no epochs in ${RUN_FILES.metrics} yet`);
  const ev = run.evaluation;
  if (ev) {
    inputs.evaluation = { classes: ev.classes, confusion: ev.trackLevel.confusion, perClass: withIntervals(ev.classes, ev.trackLevel.perClass, run.dir, run.config.train.seed) };
    if (ev.nTracks === 0) missing.push(`run ${run.id}: the test split is empty`);
  } else {
    missing.push(`confusion-matrix, per-class-scores: run ${run.id} has no ${RUN_FILES.evaluation}: ${again}`);
  }
  // Class weights vs plain: the given run, or the newest run of the same model with the other setting.
  const weighted = (r: { config: { train: { classWeights: boolean | number[] } } }) => r.config.train.classWeights !== false;
  const other = opts.compare
    ? runs.find((r) => r.id === opts.compare) ?? null
    : [...runs].reverse().find((r) => r.id !== run.id && r.config.train.model === run.config.train.model && weighted(r) !== weighted(run)) ?? null;
  if (opts.compare && !other) missing.push(`class-weights-validation: no run "${opts.compare}" under ${opts.runsDir}`);
  if (other && (other.metrics.length === 0 || run.metrics.length === 0)) {
    missing.push(`class-weights-validation: ${run.metrics.length === 0 ? run.id : other.id} has no epochs in ${RUN_FILES.metrics} yet`);
  } else if (other) {
    const name = (r: typeof run) => `${r.id} (${weighted(r) ? "class-weighted" : "plain"})`;
    inputs.classWeightComparison = [
      { name: name(run), metrics: run.metrics, weights: weighted(run) ? run.config.classWeights : null },
      { name: name(other), metrics: other.metrics, weights: weighted(other) ? other.config.classWeights : null },
    ];
  } else if (!opts.compare && !weighted(run) && isBalanced(run.config.data.trainingPerClass)) {
    const n = run.config.data.trainingPerClass![0];
    missing.push(
      `class-weights-validation: not drawn: ${run.id}'s training split is balanced (${n} tracks per genre), so balanced class weights are all 1 ` +
        "and a class-weighted run would train the same model (the study does not train it; on an unbalanced split it does)",
    );
  } else if (!opts.compare) {
    missing.push(
      `class-weights-validation: no run of ${run.config.train.model} ${weighted(run) ? "without" : "with"} class weights to compare ${run.id} with ` +
        "(train one with the other --class-weights setting, or pass --compare ID)",
    );
  }
  umapInput(run, inputs, missing, log);
  if (opts.saliency !== "none") await saliencyInputs(opts, run, inputs, missing, log);
}

/** Equal per-class counts (balanced class weights would all be 1); false when not recorded. */
function isBalanced(perClass: readonly number[] | undefined): boolean {
  return perClass !== undefined && perClass.length > 0 && perClass.every((c) => c === perClass[0]);
}

/**
 * Whether run `a` belongs to the study of run `b`: a study run (id study-<data>-<sizes>-…) compares with the
 * runs of the same data and sizes only (so the test suite's study-*-quick-* smoke runs stay out of the
 * default study's figure); other runs with the runs on the same data source, split sizes and classes.
 */
export function sameStudy(a: import("../train/runs").LoadedRun, b: import("../train/runs").LoadedRun): boolean {
  const prefix = (id: string) => /^(study-[^-]+-[^-]+-)/.exec(id)?.[1] ?? null;
  if (prefix(a.id) !== prefix(b.id)) return false;
  if (path.resolve(a.config.data.source) !== path.resolve(b.config.data.source)) return false;
  if (prefix(b.id) !== null) return true;
  return JSON.stringify(a.config.data.tracks) === JSON.stringify(b.config.data.tracks) && JSON.stringify(a.config.classes) === JSON.stringify(b.config.classes);
}

/** Mean saliency per true genre over the first N test clips of each genre (centre crop). */
async function saliencyInputs(
  opts: FiguresOptions,
  run: import("../train/runs").LoadedRun,
  inputs: ReportFigureInputs,
  missing: string[],
  log: (s: string) => void,
): Promise<void> {
  const { RUN_FILES } = require("../train/runs") as typeof import("../train/runs");
  const cfg = run.config;
  if (cfg.model.input.kind === "features") {
    missing.push(`saliency-per-genre: run ${run.id} is a feature-vector model (${cfg.model.name}); saliency maps need a spectrogram model`);
    return;
  }
  const modelDir = path.join(run.dir, RUN_FILES.best);
  if (!fs.existsSync(modelDir)) {
    missing.push(`saliency-per-genre: run ${run.id} has no best/ model (train it first)`);
    return;
  }
  try {
    const { initBackend } = require("../tf/backend") as typeof import("../tf/backend");
    const { loadModel } = require("../tf/io") as typeof import("../tf/io");
    const { openTrainingData } = require("../train/sources") as typeof import("../train/sources");
    const { makeInputBuilder } = require("../models/inputs") as typeof import("../models/inputs");
    const { seedImage } = require("../features/image") as typeof import("../features/image");
    const saliency = require("../analysis/saliency") as typeof import("../analysis/saliency");
    const { lastConvLayerName } = require("../models/zoo") as typeof import("../models/zoo");
    await initBackend({ backend: cfg.train.backend, log: false });
    const data = openTrainingData(cfg.train, cfg.model.input);
    const builder = makeInputBuilder(cfg.model.input, data.reader, cfg.inputNorm, cfg.model.input.kind === "seed-image" ? seedImage : undefined);
    const model = await loadModel(modelDir);
    const layerName = lastConvLayerName(cfg.model.name);
    const method = saliencyMethod(opts.saliency as SaliencyMethodName, { layerName: layerName, seed: cfg.train.seed });
    const clips: import("../analysis/saliency").SaliencyClip[] = [];
    for (let k = 0; k < cfg.classes.length; k++) {
      const ids = data.tracks
        .filter((t) => t.split === "test" && t.genre === cfg.classes[k])
        .map((t) => t.trackId)
        .sort((a, b) => a - b)
        .slice(0, opts.saliencyClips);
      for (const id of ids) clips.push({ input: builder.evaluationExamples(id, 1)[0], trueIndex: k });
    }
    if (clips.length === 0) {
      missing.push(`saliency-per-genre: the test split of ${data.source} is empty for run ${run.id}'s classes`);
      model.dispose();
      return;
    }
    log(`saliency (${opts.saliency}) of ${clips.length} test clips`);
    const per = saliency.saliencyPerGenre(model, clips, cfg.classes, method);
    model.dispose();
    // Seed images put high frequencies at the top row; flip so row 0 is the lowest band like log-mel maps.
    const flip = cfg.model.input.kind === "seed-image";
    inputs.saliency = {
      sr: MEL_SR,
      hopLength: MEL_HOP,
      // The figure's legend names the plain gradient "gradient" (as before the method table existed).
      method: opts.saliency === "vanilla" ? "gradient" : SALIENCY_METHOD_LABELS[opts.saliency as SaliencyMethodName],
      panels: per.byTrue
        .filter((g) => g.count > 0)
        .map((g) => ({
          genre: g.genre,
          count: g.count,
          map: flip ? flipRows(g.map, per.height, per.width) : g.map,
          height: per.height,
          width: per.width,
        })),
    };
  } catch (err) {
    missing.push(`saliency-per-genre: ${(err as Error).message.split("\n")[0]}`);
  }
}

/**
 * Per-class scores with their 95 % bootstrap intervals (1000 resamples of the test tracks, eval/metrics
 * perClassIntervals) from the run's predictions.jsonl; without it, the scores alone.
 */
function withIntervals(classes: string[], perClass: import("../eval/metrics").ClassScores[], runDir: string, seed: number): import("../plots/figures").ClassScoreRow[] {
  if (!fs.existsSync(path.join(runDir, "predictions.jsonl"))) return perClass;
  const { perClassIntervals } = require("../eval/metrics") as typeof import("../eval/metrics");
  const preds = readPredictions(runDir).filter((p) => classes.includes(p.true) && classes.includes(p.predicted));
  if (preds.length === 0) return perClass;
  const ci = perClassIntervals(
    preds.map((p) => classes.indexOf(p.true)),
    preds.map((p) => classes.indexOf(p.predicted)),
    classes,
    { seed: seed, resamples: 1000 },
  );
  const round = (v: [number, number]): [number, number] => [Math.round(v[0] * 1000) / 1000, Math.round(v[1] * 1000) / 1000];
  return perClass.map((c) => {
    const i = ci.find((x) => x.label === c.label);
    return i ? { ...c, ci: { precision: round(i.precision), recall: round(i.recall), f1: round(i.f1) } } : c;
  });
}

function flipRows(map: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(map.length);
  for (let y = 0; y < height; y++) out.set(map.subarray(y * width, (y + 1) * width), (height - 1 - y) * width);
  return out;
}

/** Every report figure's input that the dataset and the run provide, and what is missing (and why). */
export async function gatherReportInputs(
  opts: FiguresOptions,
  bar?: import("../util/progress").ProgressBar,
): Promise<{ inputs: ReportFigureInputs; missing: string[] }> {
  const log = opts.log ?? (() => undefined);
  const inputs: ReportFigureInputs = opts.splitNote ? { splitNote: opts.splitNote } : {};
  const missing: string[] = [];
  bar?.setFields({ stage: "dataset (genres, example clips)" });
  try {
    await datasetInputs(opts.dataDir, inputs, missing, log);
  } catch (err) {
    missing.push(`dataset figures: ${(err as Error).message.split("\n")[0]}`);
  }
  bar?.tick(1, { stage: "run (evaluation, UMAP, saliency)" });
  try {
    await runInputs(opts, inputs, missing, log);
  } catch (err) {
    missing.push(`run figures: ${(err as Error).message.split("\n")[0]}`);
  }
  bar?.tick(1, { stage: "render" });
  return { inputs, missing };
}

/**
 * A sweep's figure (heat maps over two grid options, else a dot plot) and table, from its runs under
 * runsDir; the figure only once a point is evaluated (else `missing` says so), the table always.
 */
export function sweepFigures(spec: SweepSpec, runsDir: string, missing: string[]): RenderedFigure[] {
  const { sweepComparisonFigure, sweepTableHtml } = require("../plots/figures") as typeof import("../plots/figures");
  const name = `sweep-${spec.name}`;
  try {
    const rows = sweepTable(spec, runsDir);
    const input = sweepFigureInput(spec, rows, runsDir);
    const evaluated = rows.filter((r) => r.status === "evaluated").length;
    const out: RenderedFigure[] = [];
    if (evaluated > 0) out.push({ name, kind: "svg", caption: `sweep ${spec.name}: accuracy per grid point`, content: sweepComparisonFigure(input) });
    else missing.push(`${name}: no point of sweep ${spec.name} is evaluated under ${runsDir} yet (run \`fmalab sweep SPEC.json --runs ${runsDir}\`)`);
    out.push({ name: `${name}-table`, kind: "html", caption: `sweep ${spec.name}: table`, content: sweepTableHtml(input) });
    return out;
  } catch (err) {
    missing.push(`${name}: ${(err as Error).message.split("\n")[0]}`);
    return [];
  }
}

/** Gather inputs, render every figure and write them; returns the files and what was missing. */
export async function generateFigures(opts: FiguresOptions): Promise<FiguresResult> {
  const { ProgressBar } = require("../util/progress") as typeof import("../util/progress");
  // Stages: dataset inputs, run inputs, render, write (+ the interactive pages).
  const bar = new ProgressBar({ total: 4, label: "figures", unit: "stages" });
  try {
    const result = await generateFiguresWith(opts, bar);
    bar.update(bar.total, { stage: `${result.written.length} files` });
    bar.finish();
    return result;
  } finally {
    bar.stop();
  }
}

async function generateFiguresWith(opts: FiguresOptions, bar: import("../util/progress").ProgressBar): Promise<FiguresResult> {
  const { inputs, missing } = await gatherReportInputs(opts, bar);
  const { buildReportFigures } = require("../plots/figures") as typeof import("../plots/figures");
  const { writeFigure } = require("../plots/html") as typeof import("../plots/html");
  const { figures, problems } = buildReportFigures(inputs);
  bar.tick(1, { stage: `write ${figures.length} figures` });
  missing.push(...problems);
  const written: string[] = [];
  const write = (f: RenderedFigure) => {
    const w = writeFigure(f.name, f.content, { dir: opts.outDir, png: opts.png && f.kind === "svg" });
    written.push(w.path);
    if (w.pngPath) written.push(w.pngPath);
  };
  figures.forEach(write);
  for (const spec of opts.sweeps ?? []) sweepFigures(spec, opts.runsDir, missing).forEach(write);
  if (opts.interactive) {
    bar.setFields({ stage: "interactive pages" });
    const { plotlyPage, confusionMatrixFigure, matrixHeatmapFigure, scatterFigure } = require("../plots/plotly") as typeof import("../plots/plotly");
    const { writeFileAtomic } = require("../util/fs") as typeof import("../util/fs");
    const dir = path.resolve(opts.outDir);
    const page = (name: string, html: string) => {
      const file = path.join(dir, `${name}.html`);
      writeFileAtomic(file, html);
      written.push(file);
    };
    const run = inputs.runId ? ` — run ${inputs.runId}` : "";
    if (inputs.evaluation) {
      page("confusion-matrix-interactive", plotlyPage(confusionMatrixFigure(inputs.evaluation.classes, inputs.evaluation.confusion, { title: `Confusion matrix${run}` }), "Confusion matrix"));
    }
    if (inputs.cooccurrence) {
      const c = inputs.cooccurrence;
      page("genre-cooccurrence-interactive", plotlyPage(matrixHeatmapFigure(c.labels, c.values, { title: `Genre co-occurrence (${c.valueName})`, valueName: c.valueName }), "Genre co-occurrence"));
    }
    if (inputs.umap) {
      const pts = inputs.umap.map((p) => ({ x: p.x, y: p.y, group: p.group, marked: p.marked, hover: p.hover ?? p.group }));
      const { trustworthinessText } = require("../plots/figures") as typeof import("../plots/figures");
      const title = `UMAP of the ${inputs.splitNote ? "evaluation" : "test"} embeddings${run}${trustworthinessText(inputs.umapTrustworthiness)}`;
      page("umap-interactive", plotlyPage(scatterFigure(pts, { title: title, markedName: "misclassified" }), "UMAP"));
    }
  }
  return { written, missing };
}

