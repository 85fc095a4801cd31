// `fmalab figures`: regenerate every report figure from the dataset and a run into figures/: static SVG +
// PNG for each catalogue figure, HTML for tables and the interactive (plotly) views. A missing input skips
// only the figures that need it, with a message saying what is missing and how to make it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import type { ReportFigureInputs, RenderedFigure } from "../../plots/figures";

const usage = `Usage: fmalab figures [--data DIR] [--run ID] [--runs DIR] [--out DIR] [--saliency METHOD]
                      [--saliency-clips N] [--compare ID] [--no-interactive] [--no-png]

Regenerates the report figures from the dataset and a training run into --out (default figures/):
NAME.svg + NAME.png (static), NAME.html (tables; interactive plotly views with --interactive, the default).
Deterministic: the same data and run give byte-identical SVGs.

  --data DIR          dataset folder (default: $FMA_DIR, else data/fma): genre distribution and split,
                      genre tree, genre co-occurrence, one example spectrogram per genre (needs audio)
  --run ID            run folder name under --runs, or a run folder (default: the newest run): training
                      curves, confusion matrix, per-genre scores, UMAP, saliency per genre
  --runs DIR          default runs; every run with an evaluation goes into the run comparison
  --compare ID        the run to compare validation accuracy with (default: a run of the same model
                      with the opposite class-weights setting, when there is one)
  --saliency METHOD   gradcam (default), vanilla, smoothgrad, ig, or none
  --saliency-clips N  test clips per genre averaged in the saliency grid (default 4)
  --out DIR           output folder (default figures)
  --no-interactive    skip the plotly HTML views (each inlines the 4.7 MB plotly bundle)
  --no-png            SVG only`;

export interface FiguresOptions {
  dataDir: string;
  /** Run id/folder, or null for the newest run under runsDir (none: run figures are skipped). */
  run: string | null;
  runsDir: string;
  compare?: string | null;
  outDir: string;
  saliency: "gradcam" | "vanilla" | "smoothgrad" | "ig" | "none";
  saliencyClips: number;
  interactive: boolean;
  png: boolean;
  log?: (line: string) => void;
}

export interface FiguresResult {
  /** Files written (absolute paths). */
  written: string[];
  /** What could not be drawn and why. */
  missing: string[];
}

const MEL_SR = 22050;
const MEL_HOP = 512;

/** Dataset-derived inputs: distribution, tree, co-occurrence, example spectrograms. */
async function datasetInputs(dataDir: string, inputs: ReportFigureInputs, missing: string[], log: (s: string) => void): Promise<void> {
  const { loadGenres } = await import("../../data/genres");
  const { loadTracks, audioPath, flatAudioPath } = await import("../../data/tracks");
  const { defaultDatasetSubset } = await import("../../data/dataset");
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
  // Co-occurrence of the top-level genres the subset's tracks carry (through genres_all).
  const { topGenreCooccurrence } = await import("../../analysis/genres");
  const withGenres = tracks.records.filter((r) => r.genresAll.length > 0);
  if (withGenres.length === 0) {
    missing.push(`genre-cooccurrence: no track of fma_${subset} has genres_all`);
  } else {
    const m = topGenreCooccurrence(withGenres, tree);
    inputs.cooccurrence = { labels: m.titles, values: m.jaccard, valueName: "Jaccard" };
  }
  // One example clip per genre: the lowest track id of the test split (else any split) with audio.
  const nestedAudio = path.join(root, `fma_${subset}`);
  const audioDir = fs.existsSync(nestedAudio) ? nestedAudio : fs.existsSync(path.join(root, "audio")) ? path.join(root, "audio") : null;
  if (!audioDir) {
    missing.push(`example-spectrograms: no audio folder (${nestedAudio} or ${path.join(root, "audio")}); run \`fmalab download\` for the clips`);
    return;
  }
  const nested = fs.readdirSync(audioDir, { withFileTypes: true }).some((e) => e.isDirectory() && /^\d{3}$/.test(e.name));
  const clipPath = (id: number) => (nested ? audioPath(audioDir, id) : flatAudioPath(audioDir, id));
  const { loadAudio } = await import("../../audio/load");
  const { logMelSpectrogram } = await import("../../features/melspec");
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

/** Read predictions.jsonl: track id → predicted genre. */
function readPredictions(file: string): Map<number, { true: string; predicted: string }> {
  const out = new Map<number, { true: string; predicted: string }>();
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        const p = JSON.parse(line) as { trackId: number; true: string; predicted: string };
        out.set(p.trackId, { true: p.true, predicted: p.predicted });
      } catch {
        throw new UsageError(`${file} line ${i + 1}: not valid JSON`);
      }
    });
  return out;
}

/** Run-derived inputs: curves, evaluation, UMAP, saliency, class-weights comparison, run comparison. */
async function runInputs(opts: FiguresOptions, inputs: ReportFigureInputs, missing: string[], log: (s: string) => void): Promise<void> {
  const { listRuns, loadRun, RUN_FILES } = await import("../../train/runs");
  const runs = fs.existsSync(opts.runsDir) ? listRuns(opts.runsDir) : [];
  const { compareRuns } = await import("../../train/runs");
  if (runs.some((r) => r.evaluation)) {
    inputs.runComparison = compareRuns(runs.filter((r) => r.evaluation));
  } else {
    missing.push(`run-comparison: no run under ${opts.runsDir} has an evaluation.json (train with \`fmalab train\`, then \`fmalab evaluate --run ID\`)`);
  }
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
    missing.push(`run figures (training-curves, confusion-matrix, per-class-scores, umap, saliency-per-genre): no runs under ${opts.runsDir}; train one with \`fmalab train\``);
    return;
  }
  const run = loadRun(runDir);
  inputs.runId = run.id;
  const again = `rerun \`fmalab evaluate --run ${run.id}\``;
  if (run.metrics.length > 0) inputs.metrics = run.metrics;
  else missing.push(`training-curves: run ${run.id} has no epochs in ${RUN_FILES.metrics} yet`);
  const ev = run.evaluation;
  if (ev) {
    inputs.evaluation = { classes: ev.classes, confusion: ev.trackLevel.confusion, perClass: ev.trackLevel.perClass };
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
      { name: name(run), metrics: run.metrics },
      { name: name(other), metrics: other.metrics },
    ];
  } else if (!opts.compare) {
    missing.push(
      `class-weights-validation: no run of ${run.config.train.model} ${weighted(run) ? "without" : "with"} class weights to compare ${run.id} with ` +
        "(train one with the other --class-weights setting, or pass --compare ID)",
    );
  }
  // UMAP of the test embeddings, misclassified tracks marked.
  const embFile = path.join(run.dir, RUN_FILES.embeddings);
  const predFile = path.join(run.dir, RUN_FILES.predictions);
  if (!fs.existsSync(embFile) || !fs.existsSync(path.join(run.dir, RUN_FILES.embeddingsMeta))) {
    missing.push(`umap: run ${run.id} has no ${RUN_FILES.embeddings}: ${again}`);
  } else if (!fs.existsSync(predFile)) {
    missing.push(`umap: run ${run.id} has no ${RUN_FILES.predictions}: ${again}`);
  } else {
    const { readEmbeddings } = await import("../../eval/evaluate");
    const { toPointMatrix, umapLayout } = await import("../../analysis/embeddings");
    const emb = readEmbeddings(run.dir);
    const preds = readPredictions(predFile);
    if (emb.rows.length < 4) {
      missing.push(`umap: run ${run.id} has ${emb.rows.length} embedded tracks; UMAP needs at least 4`);
    } else {
      log(`UMAP of ${emb.rows.length} embeddings`);
      const layout = umapLayout(toPointMatrix(emb.rows), { seed: run.config.train.seed, nNeighbors: Math.min(15, emb.rows.length - 1) });
      inputs.umap = emb.trackIds.map((id, i) => {
        const p = preds.get(id);
        return {
          x: Math.round(layout[i][0] * 1e4) / 1e4,
          y: Math.round(layout[i][1] * 1e4) / 1e4,
          group: emb.labels[i],
          marked: p ? p.predicted !== p.true : false,
          hover: `track ${id}<br>true ${emb.labels[i]}<br>predicted ${p?.predicted ?? "?"}`,
        };
      });
    }
  }
  if (opts.saliency !== "none") await saliencyInputs(opts, run, inputs, missing, log);
}

/** Mean saliency per true genre over the first N test clips of each genre (centre crop). */
async function saliencyInputs(
  opts: FiguresOptions,
  run: import("../../train/runs").LoadedRun,
  inputs: ReportFigureInputs,
  missing: string[],
  log: (s: string) => void,
): Promise<void> {
  const { RUN_FILES } = await import("../../train/runs");
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
    const { initBackend } = await import("../../tf/backend");
    const { loadModel } = await import("../../tf/io");
    const { openTrainingData } = await import("../../train/sources");
    const { makeInputBuilder } = await import("../../train/examples");
    const { seedImage } = await import("../../features/image");
    const saliency = await import("../../analysis/saliency");
    const { lastConvLayerName } = await import("../../models/zoo");
    await initBackend({ backend: cfg.train.backend, log: false });
    const data = openTrainingData(cfg.train, cfg.model.input);
    const builder = makeInputBuilder(cfg.model.input, data.reader, cfg.inputNorm, cfg.model.input.kind === "seed-image" ? seedImage : undefined);
    const model = await loadModel(modelDir);
    const layerName = lastConvLayerName(cfg.model.name);
    const method: import("../../analysis/saliency").SaliencyMethod =
      opts.saliency === "vanilla"
        ? saliency.vanillaGradient
        : opts.saliency === "smoothgrad"
          ? (m, x, k) => saliency.smoothGrad(m, x, k, { samples: 16, seed: cfg.train.seed })
          : opts.saliency === "ig"
            ? (m, x, k) => saliency.integratedGradients(m, x, k, { steps: 32 })
            : (m, x, k) => {
                if (!layerName) throw new Error(`model ${cfg.model.name} has no conv layer for Grad-CAM`);
                return saliency.gradCam(m, x, k, { layerName });
              };
    const clips: import("../../analysis/saliency").SaliencyClip[] = [];
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
      method: ({ gradcam: "Grad-CAM", vanilla: "gradient", smoothgrad: "SmoothGrad", ig: "Integrated Gradients", none: "" } as const)[opts.saliency],
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

function flipRows(map: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(map.length);
  for (let y = 0; y < height; y++) out.set(map.subarray(y * width, (y + 1) * width), (height - 1 - y) * width);
  return out;
}

/** Gather inputs, render every figure and write them; returns the files and what was missing. */
export async function generateFigures(opts: FiguresOptions): Promise<FiguresResult> {
  const log = opts.log ?? (() => undefined);
  const inputs: ReportFigureInputs = {};
  const missing: string[] = [];
  try {
    await datasetInputs(opts.dataDir, inputs, missing, log);
  } catch (err) {
    missing.push(`dataset figures: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    await runInputs(opts, inputs, missing, log);
  } catch (err) {
    missing.push(`run figures: ${(err as Error).message.split("\n")[0]}`);
  }
  const { buildReportFigures } = await import("../../plots/figures");
  const { writeFigure } = await import("../../plots/html");
  const { figures, problems } = buildReportFigures(inputs);
  missing.push(...problems);
  const written: string[] = [];
  const write = (f: RenderedFigure) => {
    const w = writeFigure(f.name, f.content, { dir: opts.outDir, png: opts.png && f.kind === "svg" });
    written.push(w.path);
    if (w.pngPath) written.push(w.pngPath);
  };
  figures.forEach(write);
  if (opts.interactive) {
    const { plotlyPage, confusionMatrixFigure, matrixHeatmapFigure, scatterFigure } = await import("../../plots/plotly");
    const { writeFileAtomic } = await import("../../util/fs");
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
      page("umap-interactive", plotlyPage(scatterFigure(pts, { title: `UMAP of the test embeddings${run}`, markedName: "misclassified" }), "UMAP"));
    }
  }
  return { written, missing };
}

export const command: CliCommand = {
  name: "figures",
  summary: "regenerate the report figures (SVG + PNG, interactive HTML) into figures/",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        data: { type: "string" },
        run: { type: "string" },
        runs: { type: "string" },
        compare: { type: "string" },
        out: { type: "string" },
        saliency: { type: "string" },
        "saliency-clips": { type: "string" },
        "no-interactive": { type: "boolean" },
        "no-png": { type: "boolean" },
      },
      usage,
    );
    const saliency = (values.saliency ?? "gradcam") as FiguresOptions["saliency"];
    if (!["gradcam", "vanilla", "smoothgrad", "ig", "none"].includes(saliency)) {
      throw new UsageError(`--saliency must be gradcam, vanilla, smoothgrad, ig or none, got "${values.saliency}"`);
    }
    const outDir = values.out ?? "figures";
    const result = await generateFigures({
      dataDir: values.data ?? process.env.FMA_DIR ?? "data/fma",
      run: values.run ?? null,
      runsDir: values.runs ?? "runs",
      compare: values.compare ?? null,
      outDir,
      saliency,
      saliencyClips: intOption(values["saliency-clips"], "saliency-clips", 4),
      interactive: !values["no-interactive"],
      png: !values["no-png"],
      log: (line) => console.error(`[figures] ${line}`),
    });
    for (const file of result.written) console.log(path.relative(process.cwd(), file) || file);
    if (result.missing.length > 0) {
      console.error(`\n${result.missing.length} figure input(s) missing or bad (the other figures were written):`);
      for (const m of result.missing) console.error(`  - ${m}`);
    }
    console.error(`\n${result.written.length} files in ${outDir}/`);
    return result.written.length > 0 ? 0 : 1;
  },
};
