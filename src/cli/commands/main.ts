// `fmalab main` (= `npm start`): the main job. Runs the pipeline's steps in order, each under a progress
// header, then writes out/report/index.html. Steps share one MainContext; a step may stop the job (e.g. an
// incomplete FMA_DIR) with a message and exit status. Adding a step = adding one entry to MAIN_STEPS.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandArgs, type CliCommand } from "../command";
import { UsageError } from "../../util/errors";
import { PROJECT_ROOT, writeFileAtomic } from "../../util/fs";
import { checkDataset, SUBSETS, type Subset } from "../../data";
import { escapeHtml } from "../../plots";
import { ensureJupyter } from "./setup";
import { runNotebooks, type NotebookRun } from "./notebooks";

export type DatasetKind = "fma" | "synthetic" | "sample";

export interface ReportSection {
  /** Section heading in out/report/index.html. */
  title: string;
  /** HTML body (already escaped where needed). */
  html: string;
}

export interface MainContext {
  root: string;
  /** The dataset the pipeline runs on (set by the "data" step). */
  dataDir: string;
  dataKind: DatasetKind;
  subset: Subset;
  /** May steps install system packages (Jupyter via apt as root)? */
  install: boolean;
  outDir: string;
  reportDir: string;
  figuresDir: string;
  notebookRuns: NotebookRun[];
  /** The study's default-model run (set by the "train" step): the report's results. */
  mainRun?: import("../../train/train").RunRecord;
  /** Seconds each step took, in order (the report lists them). */
  stepSeconds: Array<{ id: string; seconds: number }>;
  /** Steps add result sections here (numbers, tables, figure links); the report step renders them in order. */
  reportSections: ReportSection[];
  /** Problems that did not stop the job but make it fail at the end. */
  failures: string[];
  log(line: string): void;
}

/** What a step may return: nothing (go on) or a stop with the job's exit status. */
export type StepOutcome = void | { stop: true; exitCode: number; message: string };

export interface MainStep {
  /** Short id for --skip / --only. */
  id: string;
  /** One line shown in the progress header. */
  title: string;
  run(ctx: MainContext): Promise<StepOutcome>;
}

/** The default dataset: FMA-shaped synthetic data generated locally (src/data/synth, also `fmalab synth`). */
export const SYNTHETIC_DIR = path.join(PROJECT_ROOT, "data", "synthetic");

const setupStep: MainStep = {
  id: "setup",
  title: "Jupyter (nbclient, nbconvert) for executing the notebooks",
  async run(ctx) {
    const status = await ensureJupyter({ install: ctx.install, log: ctx.log });
    if (!status.ok) {
      return { stop: true, exitCode: 1, message: `Jupyter is missing (${status.missing.join(", ")}); see above, or run npm run setup` };
    }
    ctx.log(`Jupyter: ${status.python} ok`);
  },
};

const dataStep: MainStep = {
  id: "data",
  title: "dataset: FMA_DIR when set, else the embedded synthetic dataset",
  async run(ctx) {
    const fmaDir = process.env.FMA_DIR;
    if (fmaDir) {
      const problems = checkDataset(fmaDir, ctx.subset);
      if (problems.length > 0) {
        return {
          stop: true,
          exitCode: 2,
          message: [`FMA_DIR=${fmaDir} is not ready for fma_${ctx.subset}:`, ...problems.map((p) => `  - ${p}`)].join("\n"),
        };
      }
      ctx.dataDir = path.resolve(fmaDir);
      ctx.dataKind = "fma";
      ctx.log(`using the real FMA in ${ctx.dataDir} (subset ${ctx.subset})`);
      return;
    }
    // Generates (or resumes) the default synthetic dataset; quick when it is already complete.
    ctx.log(`synthetic dataset: ${path.relative(ctx.root, SYNTHETIC_DIR)} (generated when absent or incomplete; delete it to regenerate)`);
    const { ensureSyntheticDataset } = await import("../../data/synth");
    const made = await ensureSyntheticDataset(SYNTHETIC_DIR);
    ctx.log(made.created ? `generated ${made.tracks} tracks` : `already complete: ${made.tracks} tracks`);
    const problems = checkDataset(SYNTHETIC_DIR, "small");
    if (problems.length > 0) {
      return { stop: true, exitCode: 1, message: ["the synthetic dataset is incomplete:", ...problems.map((p) => `  - ${p}`)].join("\n") };
    }
    ctx.dataDir = SYNTHETIC_DIR;
    ctx.dataKind = "synthetic";
    ctx.subset = "small";
  },
};

/**
 * The study's settings for the main job's dataset (the ones the notebooks compute too, so they find the
 * cache and runs made here): FMALAB_DATA = ctx.dataDir, and on the real FMA the full fma_small sizes
 * (FMALAB_FULL=1) unless FMALAB_FULL is set explicitly (FMALAB_FULL=0: the default sizes on real data).
 */
export function mainStudyEnv(ctx: Pick<MainContext, "dataDir" | "dataKind">, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const full = env.FMALAB_FULL !== undefined ? env.FMALAB_FULL : ctx.dataKind === "fma" ? "1" : undefined;
  const out: NodeJS.ProcessEnv = { ...env, FMALAB_DATA: ctx.dataDir };
  if (full === undefined) delete out.FMALAB_FULL;
  else out.FMALAB_FULL = full;
  return out;
}

type StudyModule = typeof import("../../notebook/study");
type RunRecord = import("../../train/train").RunRecord;

async function loadStudy(ctx: MainContext): Promise<{ study: StudyModule; cfg: import("../../notebook/study").StudyConfig; ds: import("../../data/dataset").FmaDataset }> {
  const study = await import("../../notebook/study");
  const cfg = study.studyConfig(mainStudyEnv(ctx));
  const ds = (await import("../../data/dataset")).openDataset(cfg.dataDir);
  return { study, cfg, ds };
}

const cacheStep: MainStep = {
  id: "cache",
  title: "spectrogram cache of the study's tracks (log-mel + features; resumable)",
  async run(ctx) {
    const { study, cfg, ds } = await loadStudy(ctx);
    ctx.log(study.describeStudy(cfg));
    const ids = study.studyTrackIds(cfg, ds);
    const n = study.countBySplit(ds, ids);
    ctx.log(`${ids.length} tracks (${n.training}/${n.validation}/${n.test} train/val/test), ${cfg.sizes.cache.clipSeconds} s clips → ${path.relative(ctx.root, cfg.cacheRoot) || cfg.cacheRoot}/`);
    const summary = await study.ensureStudyCache(cfg, ds, { silent: false });
    ctx.log(
      `cache: ${summary.ok} ok, ${summary.short} short, ${summary.failed} failed | computed ${summary.computed} ` +
        `(${summary.clipsPerS.toFixed(2)} clips/s), reused ${summary.reused} | ${summary.elapsedS.toFixed(1)} s → ${path.relative(ctx.root, summary.dir)}`,
    );
    for (const f of summary.failures.slice(0, 10)) ctx.log(`  failed: track ${f.trackId} (${f.reason}): ${f.message}`);
    if (summary.failures.length > 10) ctx.log(`  … ${summary.failures.length - 10} more failures`);
    if (summary.ok + summary.short === 0) return { stop: true, exitCode: 1, message: "no clip could be cached: nothing to train on (see the failures above)" };
  },
};

/** Train plan items `indices` of the study (one after the other), logging each result; false when one failed. */
async function trainPlanItems(ctx: MainContext, indices: number[], opts: { progress: boolean; prefix: string }): Promise<RunRecord | undefined> {
  const { study, cfg, ds } = await loadStudy(ctx);
  const plan = study.studyRunPlan(cfg);
  let main: RunRecord | undefined;
  for (const i of indices) {
    const item = plan[i];
    const tag = `${opts.prefix}[${i + 1}/${plan.length}]`;
    ctx.log(`${tag} ${item.purpose}: ${item.model}`);
    const started = Date.now();
    let record: RunRecord & { reused: boolean };
    try {
      record = await study.trainStudyModel(cfg, ds, item.model, {
        overrides: item.overrides,
        log: (line) => ctx.log(`${opts.prefix}${line}`),
        progress: opts.progress,
        // Without a progress bar (a background trainer), one line per epoch.
        onEpoch: opts.progress
          ? undefined
          : (m) => ctx.log(`${tag} epoch ${m.epoch}: loss ${m.train_loss.toFixed(3)} acc ${m.train_acc.toFixed(3)} | val loss ${m.val_loss.toFixed(3)} acc ${m.val_acc.toFixed(3)} | ${m.seconds.toFixed(0)} s`),
      });
    } catch (err) {
      ctx.failures.push(`training ${item.model} (${item.purpose}) failed: ${(err as Error).message.split("\n")[0]}`);
      ctx.log(`${tag} FAILED: ${(err as Error).stack ?? err}`);
      continue;
    }
    const t = record.evaluation?.trackLevel;
    ctx.log(
      `${tag} ${record.id}: ${record.reused ? "reused" : `trained in ${((Date.now() - started) / 1000).toFixed(0)} s`}, ` +
        `${record.metrics.length} epochs${t ? `, test accuracy ${(t.accuracy * 100).toFixed(1)} % [95% CI ${(t.intervals.accuracy.low * 100).toFixed(1)}–${(t.intervals.accuracy.high * 100).toFixed(1)}]` : ""}`,
    );
    if (item.main) main = record;
  }
  return main;
}

/** Hidden option of `fmalab main`: the background trainer the train step starts (`--train-items 3,4`). */
const TRAIN_ITEMS_OPTION = "train-items";

/**
 * The runs the training notebook (03) makes, in its order; the notebooks then reuse them. The tfjs wasm
 * backend computes on one thread, so with two or more cores the other CNN runs (the class-weighted twin;
 * the seed model in the full settings) train at the same time in a second process.
 */
const trainStep: MainStep = {
  id: "train",
  title: "train the study's runs: the default CNN, its class-weighted twin, the feature baselines",
  async run(ctx) {
    const { study, cfg } = await loadStudy(ctx);
    const backend = await (await import("../../tf")).initBackend({ log: false });
    ctx.log(`backend: ${backend.engine} — ${backend.note}`);
    const plan = study.studyRunPlan(cfg);
    const all = plan.map((_, i) => i);
    // With the system BLAS one process already uses every core: a second one would only compete with it.
    const parallel = backend.threads === 1 && !backend.blas && os.cpus().length >= 2 && !truthyEnv(process.env.FMALAB_MAIN_SERIAL);
    const background = parallel ? all.filter((i) => !plan[i].main && !plan[i].model.startsWith("feat_")) : [];
    const foreground = all.filter((i) => !background.includes(i));
    let child: Promise<number> | null = null;
    if (background.length > 0) {
      ctx.log(`training ${background.map((i) => `[${i + 1}]`).join(" ")} in a second process (wasm uses one core; FMALAB_MAIN_SERIAL=1 trains one after the other)`);
      child = runChildTrainer(ctx, background);
    }
    ctx.mainRun = await trainPlanItems(ctx, foreground, { progress: true, prefix: "" });
    if (child) {
      const code = await child;
      if (code !== 0) ctx.failures.push(`the background trainer (${background.map((i) => plan[i].purpose).join(", ")}) exited with status ${code}`);
    }
  },
};

function truthyEnv(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** `fmalab main --train-items …` in a child process with the study's environment; its lines are prefixed. */
function runChildTrainer(ctx: MainContext, indices: number[]): Promise<number> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const args = ["--import", "tsx", path.join(ctx.root, "src", "cli", "main.ts"), "main", `--${TRAIN_ITEMS_OPTION}`, indices.join(",")];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ctx.root, env: mainStudyEnv(ctx), stdio: ["ignore", "pipe", "pipe"] });
    const forward = (stream: NodeJS.ReadableStream) => {
      let rest = "";
      stream.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) if (line.trim() !== "") ctx.log(`  (bg) ${line}`);
      });
      stream.on("end", () => {
        if (rest.trim() !== "") ctx.log(`  (bg) ${rest}`);
      });
    };
    forward(child.stdout!);
    forward(child.stderr!);
    child.on("error", (err) => {
      ctx.log(`  (bg) could not start: ${err.message}`);
      resolve(1);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** The report's results section: test accuracy with its interval, macro-F1, per-class scores, cost. */
export function resultsHtml(ctx: Pick<MainContext, "figuresDir" | "reportDir">, run: RunRecord): string {
  const ev = run.evaluation;
  if (!ev) return `<p>run ${escapeHtml(run.id)} has no test evaluation.</p>`;
  const t = ev.trackLevel;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const trainSeconds = run.metrics.reduce((s, m) => s + m.seconds, 0);
  const tableFile = path.join(ctx.figuresDir, "per-class-scores-table.html");
  const tableLink = path.relative(ctx.reportDir, tableFile).split(path.sep).join("/");
  const rows = t.perClass
    .map((c) => `<tr><td>${escapeHtml(c.label)}</td><td>${c.precision.toFixed(3)}</td><td>${c.recall.toFixed(3)}</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`)
    .join("\n");
  const b = run.backend as { backend: string; threads: number; engine?: string };
  return `<ul>
<li>run <code>${escapeHtml(run.id)}</code>: ${escapeHtml(run.config.model)}${run.config.modelOptions?.width ? ` (width ${run.config.modelOptions.width})` : ""}, ${run.metrics.length} epochs (best ${run.bestEpoch ?? "–"}), ${escapeHtml(run.dir)}</li>
<li>test accuracy <strong>${pct(t.accuracy)}</strong> (95 % bootstrap CI ${pct(t.intervals.accuracy.low)}–${pct(t.intervals.accuracy.high)}) on ${t.n} tracks, ${ev.crops} crops each; chance ${pct(1 / Math.max(1, t.classes.length))}</li>
<li>macro-F1 ${t.macro.f1.toFixed(3)} (95 % CI ${t.intervals.macroF1.low.toFixed(3)}–${t.intervals.macroF1.high.toFixed(3)}); top-2 accuracy ${pct(t.top2Accuracy)}</li>
<li>training time ${trainSeconds.toFixed(0)} s (${run.metrics.length} epochs incl. validation) on ${b.engine ? escapeHtml(b.engine) : `the ${escapeHtml(String(b.backend))} backend, ${b.threads} thread(s)`}</li>
<li>per-class table: ${fs.existsSync(tableFile) ? `<a href="${escapeHtml(tableLink)}">${escapeHtml(path.basename(tableFile))}</a>` : "below"}</li>
</ul>
<table border="1" cellspacing="0" cellpadding="3"><tr><th>genre</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
${rows}
</table>`;
}

const figuresStep: MainStep = {
  id: "figures",
  title: "analysis figures (fmalab figures) into figures/",
  async run(ctx) {
    const { study, cfg } = await loadStudy(ctx);
    const run = ctx.mainRun ? ctx.mainRun.dir : study.latestStudyRun(cfg)?.dir ?? null;
    ctx.figuresDir = cfg.figuresDir;
    const { generateFigures } = await import("./figures");
    const result = await generateFigures({
      dataDir: cfg.dataDir,
      run: run,
      runsDir: cfg.runsDir,
      outDir: cfg.figuresDir,
      saliency: "gradcam",
      saliencyClips: Math.max(1, cfg.sizes.saliencyClipsPerGenre),
      interactive: !cfg.quick,
      png: true,
      log: ctx.log,
    });
    ctx.log(`figures: ${result.written.length} files in ${path.relative(ctx.root, cfg.figuresDir) || cfg.figuresDir}/`);
    for (const m of result.missing) ctx.log(`  missing: ${m}`);
    if (result.written.length === 0) ctx.failures.push("no figure was written (see the figures step)");
  },
};

const notebooksStep: MainStep = {
  id: "notebooks",
  title: "execute the notebooks (executed copies in out/notebooks, HTML in out/report)",
  async run(ctx) {
    // The kernels inherit this process's environment: the same study settings as the steps above, and
    // no FMALAB_RETRAIN (it made the train step retrain; the notebooks then reuse those fresh runs).
    const saved = { FMALAB_FULL: process.env.FMALAB_FULL, FMALAB_RETRAIN: process.env.FMALAB_RETRAIN };
    const full = mainStudyEnv(ctx).FMALAB_FULL;
    if (full === undefined) delete process.env.FMALAB_FULL;
    else process.env.FMALAB_FULL = full;
    delete process.env.FMALAB_RETRAIN;
    try {
      ctx.notebookRuns = await runNotebooks({
        outDir: path.join(ctx.outDir, "notebooks"),
        htmlDir: ctx.reportDir,
        dataDir: ctx.dataDir,
        log: ctx.log,
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    for (const run of ctx.notebookRuns) if (!run.ok) ctx.failures.push(`notebook ${run.name} failed`);
  },
};

const reportStep: MainStep = {
  id: "report",
  title: "write out/report/index.html",
  async run(ctx) {
    const target = path.join(ctx.reportDir, "index.html");
    // Rendered now, so that it links the figures written after training (the per-class table).
    if (ctx.mainRun) ctx.reportSections.unshift({ title: "Results (default model, test split)", html: resultsHtml(ctx, ctx.mainRun) });
    writeFileAtomic(target, renderReportIndex(ctx));
    ctx.log(`report: ${target}`);
  },
};

/** Steps the rest depends on: an exception in one of them stops the job. */
const STOPPING_STEPS = ["setup", "data", "cache"];

/** The main job's steps, in order. */
export const MAIN_STEPS: MainStep[] = [setupStep, dataStep, cacheStep, trainStep, figuresStep, notebooksStep, reportStep];

/** Figure files in `dir` (svg, html, png), sorted; [] when the folder is absent. */
export function listFigures(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(svg|png|html)$/.test(f) && !f.startsWith("."))
    .sort();
}

/** out/report/index.html: notebooks (HTML + executed copies), the steps' sections, and the figure index. */
export function renderReportIndex(ctx: MainContext): string {
  const rel = (p: string) => path.relative(ctx.reportDir, p).split(path.sep).join("/");
  const notebooks = ctx.notebookRuns.map((run) => {
    const html = path.join(ctx.reportDir, run.name.replace(/\.ipynb$/, ".html"));
    const executed = path.join(ctx.outDir, "notebooks", run.name);
    const links = [
      run.ok && fs.existsSync(html) ? `<a href="${escapeHtml(rel(html))}">HTML</a>` : null,
      fs.existsSync(executed) ? `<a href="${escapeHtml(rel(executed))}">executed .ipynb</a>` : null,
    ].filter((x) => x !== null);
    const status = run.ok ? `ok, ${run.result!.seconds.toFixed(1)} s` : `<strong>failed</strong><pre>${escapeHtml(run.error ?? "")}</pre>`;
    return `<li>${escapeHtml(run.name)} — ${links.join(" · ")} (${status})</li>`;
  });
  const figures = listFigures(ctx.figuresDir).map((f) => {
    const href = escapeHtml(rel(path.join(ctx.figuresDir, f)));
    const thumb = /\.(svg|png)$/.test(f) ? `<br><img src="${href}" alt="${escapeHtml(f)}" loading="lazy">` : "";
    return `<figure><a href="${href}">${escapeHtml(f)}</a>${thumb}</figure>`;
  });
  const sections = ctx.reportSections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${s.html}`);
  const dataset = `${ctx.dataKind === "fma" ? "real FMA" : ctx.dataKind === "synthetic" ? "synthetic (FMA-shaped, generated)" : "sample"}: ${escapeHtml(ctx.dataDir)}, subset ${ctx.subset}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fma-genre-lab report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }
figure { display: inline-block; margin: 0.5rem; vertical-align: top; }
figure img { max-width: 30rem; border: 1px solid #ddd; }
pre { white-space: pre-wrap; background: #fff4f4; padding: 0.5rem; }
</style>
</head>
<body>
<h1>fma-genre-lab report</h1>
<p>Dataset: ${dataset}. Generated ${new Date().toISOString()}.</p>
${ctx.failures.length > 0 ? `<p><strong>Problems:</strong> ${ctx.failures.map(escapeHtml).join("; ")}</p>` : ""}
${ctx.stepSeconds.length > 0 ? `<p>Steps: ${ctx.stepSeconds.map((s) => `${escapeHtml(s.id)} ${s.seconds.toFixed(0)} s`).join(" · ")} (before the report).</p>` : ""}
<h2>Notebooks</h2>
<ul>
${notebooks.join("\n") || "<li>(not run)</li>"}
</ul>
${sections.join("\n")}
<h2>Figures (${figures.length})</h2>
${figures.join("\n") || "<p>(none in figures/)</p>"}
</body>
</html>
`;
}

const usage = `Usage: fmalab main [--skip STEP]... [--only STEP]... [--no-install] [--subset small|medium|large]

The main job (npm start). Steps, in order:
${MAIN_STEPS.map((s) => `  ${s.id.padEnd(10)} ${s.title}`).join("\n")}

Data: with FMA_DIR set, the real FMA there (checked first: a missing part stops the job with the
fmalab download command to run), with the full fma_small sizes (FMALAB_FULL=0 for the default sizes);
otherwise the synthetic dataset in data/synthetic, generated if absent. The notebooks reuse the cache and
the runs the steps before them make; FMALAB_RETRAIN=1 retrains those runs (the notebooks then reuse the new
ones); FMALAB_MAIN_SERIAL=1 trains them one after the other instead of two at a time.
Outputs: out/report/index.html (notebooks as HTML + the figure index), out/notebooks/ (executed notebooks),
figures/.

Options:
  --skip STEP    leave out a step (repeatable)
  --only STEP    run only these steps (repeatable; "data" is always run when a later step needs it)
  --no-install   do not install Jupyter with apt-get even when root on Debian/Ubuntu
  --subset S     FMA subset for FMA_DIR (default: FMA_SUBSET, else small)`;

export const command: CliCommand = {
  name: "main",
  summary: "the main job: Jupyter, data, pipeline steps, notebooks, report (npm start)",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        skip: { type: "string", multiple: true },
        only: { type: "string", multiple: true },
        "no-install": { type: "boolean" },
        subset: { type: "string" },
        [TRAIN_ITEMS_OPTION]: { type: "string" },
      },
      usage,
    );
    const ids = MAIN_STEPS.map((s) => s.id);
    for (const id of [...(values.skip ?? []), ...(values.only ?? [])]) {
      if (!ids.includes(id)) throw new UsageError(`unknown step "${id}"; steps: ${ids.join(", ")}`);
    }
    const subset = (values.subset ?? process.env.FMA_SUBSET ?? "small") as Subset;
    if (!SUBSETS.includes(subset)) throw new UsageError(`--subset must be one of ${SUBSETS.join(", ")}, got "${subset}"`);
    const only = values.only && values.only.length > 0 ? new Set([...values.only, "data"]) : null;
    const steps = MAIN_STEPS.filter((s) => (only ? only.has(s.id) : true) && !(values.skip ?? []).includes(s.id));

    const outDir = path.join(PROJECT_ROOT, "out");
    const ctx: MainContext = {
      root: PROJECT_ROOT,
      dataDir: SYNTHETIC_DIR,
      dataKind: "synthetic",
      subset,
      install: !values["no-install"],
      outDir,
      reportDir: path.join(outDir, "report"),
      figuresDir: path.join(PROJECT_ROOT, "figures"),
      notebookRuns: [],
      stepSeconds: [],
      reportSections: [],
      failures: [],
      log: (line) => console.log(line),
    };
    if (values[TRAIN_ITEMS_OPTION] !== undefined) {
      // The train step's background trainer: the study's environment (FMALAB_DATA …) comes from the parent.
      const dataDir = process.env.FMALAB_DATA;
      if (!dataDir) throw new UsageError(`--${TRAIN_ITEMS_OPTION} is the main job's internal option (needs FMALAB_DATA)`);
      const indices = values[TRAIN_ITEMS_OPTION].split(",").map((v) => Number(v));
      if (indices.some((i) => !Number.isInteger(i) || i < 0)) throw new UsageError(`--${TRAIN_ITEMS_OPTION}: plan indices, got "${values[TRAIN_ITEMS_OPTION]}"`);
      const study = await import("../../notebook/study");
      ctx.dataDir = dataDir;
      ctx.dataKind = study.studyConfig(process.env).dataKind;
      await trainPlanItems(ctx, indices, { progress: false, prefix: "" });
      if (ctx.failures.length > 0) {
        console.error(ctx.failures.join("\n"));
        return 1;
      }
      return 0;
    }
    // A wrong FMA_DIR stops the job at once, before anything slow runs (the data step checks it again).
    if (process.env.FMA_DIR && steps.some((s) => s.id === "data")) {
      const problems = checkDataset(process.env.FMA_DIR, subset);
      if (problems.length > 0) {
        console.error([`FMA_DIR=${process.env.FMA_DIR} is not ready for fma_${subset}:`, ...problems.map((p) => `  - ${p}`)].join("\n"));
        return 2;
      }
    }
    const started = Date.now();
    for (const [i, step] of steps.entries()) {
      console.log(`\n=== [${i + 1}/${steps.length}] ${step.id}: ${step.title} ===`);
      const stepStarted = Date.now();
      let outcome: StepOutcome;
      try {
        outcome = await step.run(ctx);
      } catch (err) {
        // A failing step is recorded; the job goes on where later steps can still do something useful.
        const message = `step "${step.id}" failed: ${(err as Error).message ?? err}`;
        console.error((err as Error).stack ?? String(err));
        ctx.failures.push(message);
        outcome = STOPPING_STEPS.includes(step.id) ? { stop: true, exitCode: 1, message } : undefined;
      }
      const seconds = (Date.now() - stepStarted) / 1000;
      ctx.stepSeconds.push({ id: step.id, seconds });
      if (outcome && outcome.stop) {
        console.error(`\nstopped at step "${step.id}":\n${outcome.message}`);
        return outcome.exitCode;
      }
      console.log(`--- ${step.id} done in ${seconds.toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(0)} s so far)`);
    }
    console.log(`\nmain job finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${ctx.stepSeconds.map((s) => `${s.id} ${s.seconds.toFixed(0)} s`).join(", ")}`);
    if (ctx.mainRun?.evaluation) {
      const t = ctx.mainRun.evaluation.trackLevel;
      console.log(
        `  result:    ${ctx.mainRun.id}: test accuracy ${(t.accuracy * 100).toFixed(1)} % [95% CI ${(t.intervals.accuracy.low * 100).toFixed(1)}–${(t.intervals.accuracy.high * 100).toFixed(1)}], macro-F1 ${t.macro.f1.toFixed(3)}`,
      );
    }
    console.log(`  report:    ${path.join(ctx.reportDir, "index.html")}`);
    console.log(`  notebooks: ${path.join(outDir, "notebooks")}`);
    console.log(`  figures:   ${ctx.figuresDir} (${listFigures(ctx.figuresDir).length} files)`);
    if (ctx.failures.length > 0) {
      console.error(`problems:\n  - ${ctx.failures.join("\n  - ")}`);
      return 1;
    }
    return 0;
  },
};
