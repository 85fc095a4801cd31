// `fmalab main` (= `npm start`): the main job. Runs the pipeline's steps in order, each under a progress
// header, then writes out/report/index.html. The work is the study stage's (src/study): this file reads the
// command line and the environment once, builds the StudyConfig, and calls the study step by step. Steps
// share one MainContext; a step may stop the job (e.g. an incomplete FMA_DIR, splits that cannot support the
// study under --splits stop) with a message and exit status. Adding a step = adding one entry to MAIN_STEPS.
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandArgs, type CliCommand } from "../command";
import { UsageError } from "../../util/errors";
import { PROJECT_ROOT, writeFileAtomic } from "../../util/fs";
import { checkDataset, SUBSETS, type Subset } from "../../data";
import {
  countBySplit,
  DEFAULT_DATA_DIR,
  describeStudy,
  listFigures,
  mainSerialFromEnv,
  makeStudyConfig,
  planStudySplits,
  renderReportIndex,
  resultsHtml,
  SPLIT_POLICIES,
  SPLIT_POLICY_HINT,
  studyConfigInputFromEnv,
  type SplitPlan,
  type SplitPolicy,
  type StudyConfig,
  type StudyDataKind,
  type StudyReport,
} from "../../study";
import { ensureJupyter } from "./setup";
import { runNotebooks, type NotebookRun } from "./notebooks";
import { trainStudyItems } from "./study-train";

export { renderReportIndex, resultsHtml, type ReportSection } from "../../study";

type RunRecord = import("../../train/train").RunRecord;

export interface MainContext extends StudyReport {
  root: string;
  /** May steps install system packages (Jupyter via apt as root)? */
  install: boolean;
  notebookRuns: NotebookRun[];
  /** The study's configuration (set by the "data" step). */
  study?: StudyConfig;
  /** What the splits hold (set by the "cache" step, before any work). */
  splitPlan?: SplitPlan;
  /** The split policy asked for on the command line or by FMALAB_SPLITS (default smoke). */
  splitPolicy?: SplitPolicy;
  /** The study's default-model run (set by the "train" step): the report's results. */
  mainRun?: RunRecord;
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
export const SYNTHETIC_DIR = DEFAULT_DATA_DIR;

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

/**
 * The study's settings for the main job's dataset (the ones the notebooks compute too, so they find the
 * cache and runs made here): FMALAB_DATA = ctx.dataDir, FMALAB_SPLITS = the split policy, and on the real FMA
 * the full fma_small sizes (FMALAB_FULL=1) unless FMALAB_FULL is set explicitly (FMALAB_FULL=0: the default sizes).
 */
export function mainStudyEnv(ctx: Pick<MainContext, "dataDir" | "dataKind" | "splitPolicy">, env: Record<string, string | undefined>): Record<string, string | undefined> {
  const full = env.FMALAB_FULL !== undefined ? env.FMALAB_FULL : ctx.dataKind === "fma" ? "1" : undefined;
  return { ...env, FMALAB_DATA: ctx.dataDir, FMALAB_FULL: full, FMALAB_SPLITS: ctx.splitPolicy ?? env.FMALAB_SPLITS };
}

/** The main job's StudyConfig: the environment's study settings for ctx's dataset (see mainStudyEnv). */
export function mainStudyConfig(ctx: Pick<MainContext, "dataDir" | "dataKind" | "splitPolicy">, env: Record<string, string | undefined>): StudyConfig {
  return makeStudyConfig(studyConfigInputFromEnv(mainStudyEnv(ctx, env)));
}

const dataStep: MainStep = {
  id: "data",
  title: "dataset: FMA_DIR when set, else the embedded synthetic dataset",
  async run(ctx) {
    const fmaDir = process.env.FMA_DIR;
    if (fmaDir) {
      const problems = checkDataset(fmaDir, ctx.subset);
      if (problems.length > 0) {
        return { stop: true, exitCode: 2, message: [`FMA_DIR=${fmaDir} is not ready for fma_${ctx.subset}:`, ...problems.map((p) => `  - ${p}`)].join("\n") };
      }
      ctx.dataDir = path.resolve(fmaDir);
      ctx.dataKind = "fma";
      ctx.log(`using the real FMA in ${ctx.dataDir} (subset ${ctx.subset})`);
    } else {
      // Generates (or resumes) the default synthetic dataset; quick when it is already complete.
      ctx.log(`synthetic dataset: ${path.relative(ctx.root, SYNTHETIC_DIR)} (generated when absent or incomplete; delete it to regenerate)`);
      const { ensureSyntheticDataset } = await import("../../data/synth");
      const made = await ensureSyntheticDataset(SYNTHETIC_DIR, { progress: true });
      ctx.log(made.created ? `generated ${made.tracks} tracks` : `already complete: ${made.tracks} tracks`);
      const problems = checkDataset(SYNTHETIC_DIR, "small");
      if (problems.length > 0) {
        return { stop: true, exitCode: 1, message: ["the synthetic dataset is incomplete:", ...problems.map((p) => `  - ${p}`)].join("\n") };
      }
      ctx.dataDir = SYNTHETIC_DIR;
      ctx.dataKind = "synthetic";
      ctx.subset = "small";
    }
    ctx.study = mainStudyConfig(ctx, process.env);
    ctx.figuresDir = ctx.study.figuresDir;
  },
};

async function openStudy(ctx: MainContext): Promise<{ cfg: StudyConfig; ds: import("../../data/dataset").FmaDataset }> {
  const cfg = ctx.study ?? mainStudyConfig(ctx, process.env);
  return { cfg, ds: (await import("../../data/dataset")).openDataset(cfg.dataDir) };
}

/**
 * What the splits hold, decided before any work and said loudly when they are not the official ones: a smoke
 * run (its numbers are never called test accuracy), a re-split, or a stop (--splits stop).
 */
const splitsStep: MainStep = {
  id: "splits",
  title: "split plan: what training, validation and test hold (before any work)",
  async run(ctx) {
    const { cfg, ds } = await openStudy(ctx);
    ctx.log(describeStudy(cfg));
    const plan = planStudySplits(cfg, ds);
    ctx.splitPlan = plan;
    const n = countBySplit(plan.tracks);
    ctx.log(`splits: ${plan.summary} | ${n.training}/${n.validation}/${n.test} train/val/test track uses`);
    if (plan.mode === "official") {
      if (plan.stop) return { stop: true, exitCode: 2, message: `${plan.summary}\nnothing was run (${SPLIT_POLICY_HINT})` };
      return;
    }
    ctx.splitNote = plan.summary;
    for (const p of plan.problems) ctx.log(`  ⚠ official splits: ${p}`);
    ctx.log(`  ⚠ ${plan.mode === "smoke" ? "no number of this job is a test score" : "the test scores are on the re-split's held-out tracks, not FMA's test split"} (${SPLIT_POLICY_HINT})`);
    if (plan.stop) return { stop: true, exitCode: 2, message: `${plan.summary}: no track left to split` };
  },
};

const cacheStep: MainStep = {
  id: "cache",
  title: "spectrogram cache of the study's tracks (log-mel + features; resumable)",
  async run(ctx) {
    const { cfg, ds } = await openStudy(ctx);
    const study = await import("../../study");
    const ids = study.studyTrackIds(cfg, ds);
    ctx.log(`${ids.length} tracks, ${cfg.sizes.cache.clipSeconds} s clips → ${path.relative(ctx.root, cfg.cacheRoot) || cfg.cacheRoot}/`);
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

/**
 * The runs the training notebook (03) makes, in its order; the notebooks then reuse them. The tfjs wasm
 * backend computes on one thread, so with two or more cores the other CNN runs (the class-weighted twin; the
 * seed model in the full settings) train at the same time, as tasks of the local job runner (src/cluster:
 * the mechanism of the sweeps and Slurm arrays): `fmalab study-train --item N` child processes.
 */
const trainStep: MainStep = {
  id: "train",
  title: "train the study's runs: the default CNN, the feature baselines, a class-weighted twin (unbalanced splits only)",
  async run(ctx) {
    const { cfg, ds } = await openStudy(ctx);
    const backend = await (await import("../../tf")).initBackend({ log: false });
    // One short line; the backend's long note (why this engine, tfjs issues) goes into the report.
    const { backendSummary } = await import("../../study");
    const summary = backendSummary(backend);
    ctx.log(summary.line);
    ctx.reportSections.push({ title: "Backend", html: summary.detailsHtml });
    const { studyRunPlan, classWeightedTwinSkipped } = await import("../../study");
    const { isFeatureModel } = await import("../../models/zoo");
    const splitPlan = ctx.splitPlan ?? planStudySplits(cfg, ds);
    const plan = studyRunPlan(cfg, splitPlan);
    const twinSkipped = classWeightedTwinSkipped(cfg, splitPlan);
    if (twinSkipped) ctx.log(twinSkipped);
    const all = plan.map((_, i) => i);
    // With the system BLAS one process already uses every core: a second one would only compete with it.
    const parallel = backend.threads === 1 && !backend.blas && os.cpus().length >= 2 && !mainSerialFromEnv(process.env);
    const background = parallel ? all.filter((i) => !plan[i].main && !isFeatureModel(plan[i].model)) : [];
    const foreground = all.filter((i) => !background.includes(i));
    let job: Promise<string[]> | null = null;
    if (background.length > 0) {
      ctx.log(`training ${background.map((i) => `[${i + 1}]`).join(" ")} as local job tasks (wasm uses one core; FMALAB_MAIN_SERIAL=1 trains one after the other)`);
      job = runStudyTrainJob(ctx, cfg, background);
    }
    const done = await trainStudyItems(cfg, foreground, { log: ctx.log, progress: true });
    ctx.mainRun = done.main;
    ctx.failures.push(...done.failures);
    if (job) ctx.failures.push(...(await job));
  },
};

/** Plan items `indices` as tasks of an ArrayJob run by the local runner; resolves with the failures. */
async function runStudyTrainJob(ctx: MainContext, cfg: StudyConfig, indices: number[]): Promise<string[]> {
  const { runArrayJobLocally } = await import("../../cluster/local");
  const { studyTrainArgv } = await import("./study-train");
  const job = { name: "study-train", argv: studyTrainArgv(cfg, "{task}"), tasks: Math.max(...indices) + 1, stateDir: path.join(ctx.outDir, "jobs", "study-train") };
  const outcomes = await runArrayJobLocally(job, { tasks: indices, workers: indices.length, label: "background training" });
  const fs = await import("node:fs");
  const failures: string[] = [];
  for (const o of outcomes) {
    const lines = fs.existsSync(o.log) ? fs.readFileSync(o.log, "utf8").split("\n").filter((l) => l.includes(`[${o.task + 1}/`)) : [];
    for (const line of lines.slice(-2)) ctx.log(`  (task ${o.task}) ${line}`);
    ctx.log(`  (task ${o.task}) ${o.state}; log ${path.relative(ctx.root, o.log)}`);
    if (o.state === "failed") failures.push(`background training of plan item ${o.task + 1} failed (${o.reason}; see ${o.log})`);
  }
  return failures;
}

const figuresStep: MainStep = {
  id: "figures",
  title: "analysis figures (fmalab figures) into figures/",
  async run(ctx) {
    const { cfg } = await openStudy(ctx);
    const { generateFigures, latestStudyRun } = await import("../../study");
    const run = ctx.mainRun ? ctx.mainRun.dir : latestStudyRun(cfg)?.dir ?? null;
    ctx.figuresDir = cfg.figuresDir;
    const result = await generateFigures({
      dataDir: cfg.dataDir,
      run: run,
      runsDir: cfg.runsDir,
      outDir: cfg.figuresDir,
      saliency: "gradcam",
      saliencyClips: Math.max(1, cfg.sizes.saliencyClipsPerGenre),
      interactive: !cfg.quick,
      png: true,
      splitNote: ctx.splitNote,
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
    // The kernels get the same study settings as the steps above, and no FMALAB_RETRAIN (it made the
    // train step retrain; the notebooks then reuse those fresh runs).
    const env = mainStudyEnv(ctx, process.env);
    ctx.notebookRuns = await runNotebooks({
      outDir: path.join(ctx.outDir, "notebooks"),
      htmlDir: ctx.reportDir,
      dataDir: ctx.dataDir,
      env: { FMALAB_FULL: env.FMALAB_FULL, FMALAB_SPLITS: env.FMALAB_SPLITS, FMALAB_RETRAIN: undefined },
      log: ctx.log,
    });
    for (const run of ctx.notebookRuns) if (!run.ok) ctx.failures.push(`notebook ${run.name} failed`);
  },
};

const reportStep: MainStep = {
  id: "report",
  title: "write out/report/index.html",
  async run(ctx) {
    const target = path.join(ctx.reportDir, "index.html");
    // Rendered now, so that it links the figures written after training (the per-class table).
    if (ctx.mainRun) ctx.reportSections.unshift({ title: `Results (default model, ${ctx.splitPlan?.heldOut === false ? "NOT a test score" : "test split"})`, html: resultsHtml(ctx, ctx.mainRun) });
    writeFileAtomic(target, renderReportIndex(ctx));
    ctx.log(`report: ${target}`);
  },
};

/** Steps the rest depends on: an exception in one of them stops the job. */
const STOPPING_STEPS = ["setup", "data", "splits", "cache"];

/** The main job's steps, in order. */
export const MAIN_STEPS: MainStep[] = [setupStep, dataStep, splitsStep, cacheStep, trainStep, figuresStep, notebooksStep, reportStep];

const usage = `Usage: fmalab main [--skip STEP]... [--only STEP]... [--no-install] [--subset small|medium|large]
                  [--resplit | --splits smoke|resplit|stop] [--quiet]

The main job (npm start). Steps, in order:
${MAIN_STEPS.map((s) => `  ${s.id.padEnd(10)} ${s.title}`).join("\n")}

Data: with FMA_DIR set, the real FMA there (checked first: a missing part stops the job with the
fmalab download command to run), with the full fma_small sizes (FMALAB_FULL=0 for the default sizes);
otherwise the synthetic dataset in data/synthetic, generated if absent. The notebooks reuse the cache and
the runs the steps before them make; FMALAB_RETRAIN=1 retrains those runs (the notebooks then reuse the new
ones); FMALAB_MAIN_SERIAL=1 trains them one after the other instead of two at a time.
Splits: when the official splits cannot support the study (a genre missing from a split), the split step
says so before any work, and by default the job is a labelled smoke run (every track in all three splits;
no number is called a test score). --resplit makes a seeded stratified 80/10/10 re-split instead (recorded
in every run); --splits stop stops. FMALAB_SPLITS sets the same.
Outputs: out/report/index.html (notebooks as HTML + the figure index), out/notebooks/ (executed notebooks),
figures/.

Options:
  --skip STEP    leave out a step (repeatable)
  --only STEP    run only these steps (repeatable; "data" and "splits" always run)
  --no-install   do not install Jupyter with apt-get even when root on Debian/Ubuntu
  --subset S     FMA subset for FMA_DIR (default: FMA_SUBSET, else small)
  --resplit      = --splits resplit
  --splits P     smoke (default), resplit or stop
  --quiet        no progress lines (step headers and results still print). Without --quiet every long
                 step prints progress: a bar on a terminal, else a plain line (done/total, rate, ETA) at
                 least every 10 s`;

/** The job's options from its command line and environment (a UsageError names a bad one). */
function parseMainArgs(argv: string[]): { steps: MainStep[]; subset: Subset; install: boolean; splitPolicy?: SplitPolicy } {
  const { values } = parseCommandArgs(
    argv,
    {
      skip: { type: "string", multiple: true },
      only: { type: "string", multiple: true },
      "no-install": { type: "boolean" },
      subset: { type: "string" },
      resplit: { type: "boolean" },
      splits: { type: "string" },
      quiet: { type: "boolean" },
    },
    usage,
  );
  const ids = MAIN_STEPS.map((s) => s.id);
  for (const id of [...(values.skip ?? []), ...(values.only ?? [])]) {
    if (!ids.includes(id)) throw new UsageError(`unknown step "${id}"; steps: ${ids.join(", ")}`);
  }
  const subset = (values.subset ?? process.env.FMA_SUBSET ?? "small") as Subset;
  if (!SUBSETS.includes(subset)) throw new UsageError(`--subset must be one of ${SUBSETS.join(", ")}, got "${subset}"`);
  if (values.splits !== undefined && !(SPLIT_POLICIES as readonly string[]).includes(values.splits)) {
    throw new UsageError(`--splits must be one of ${SPLIT_POLICIES.join(", ")}, got "${values.splits}"`);
  }
  if (values.resplit && values.splits && values.splits !== "resplit") throw new UsageError(`--resplit and --splits ${values.splits} contradict each other`);
  // The environment's FMALAB_SPLITS is checked here too (a typo stops the job before any step).
  const fromEnv = studyConfigInputFromEnv(process.env).splitPolicy;
  const splitPolicy = values.resplit ? "resplit" : ((values.splits as SplitPolicy | undefined) ?? fromEnv);
  const only = values.only && values.only.length > 0 ? new Set([...values.only, "data", "splits"]) : null;
  const steps = MAIN_STEPS.filter((s) => (only ? only.has(s.id) : true) && !(values.skip ?? []).includes(s.id));
  return { steps, subset, install: !values["no-install"], splitPolicy };
}

/** Run `steps` in order under progress headers; returns the exit status of a stop, else null. */
async function runSteps(ctx: MainContext, steps: MainStep[], started: number): Promise<number | null> {
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
  return null;
}

/** The job's closing summary: steps, the headline score named by its provenance, where the outputs are. */
async function printSummary(ctx: MainContext, started: number): Promise<void> {
  console.log(`\nmain job finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${ctx.stepSeconds.map((s) => `${s.id} ${s.seconds.toFixed(0)} s`).join(", ")}`);
  if (ctx.splitNote) console.log(`  splits:    ⚠ ${ctx.splitNote}`);
  if (ctx.mainRun?.evaluation) {
    const { scoreLine } = await import("../../study");
    console.log(`  result:    ${ctx.mainRun.id}: ${scoreLine(ctx.mainRun)}, macro-F1 ${ctx.mainRun.evaluation.trackLevel.macro.f1.toFixed(3)}`);
  }
  console.log(`  report:    ${path.join(ctx.reportDir, "index.html")}`);
  console.log(`  notebooks: ${path.join(ctx.outDir, "notebooks")}`);
  console.log(`  figures:   ${ctx.figuresDir} (${listFigures(ctx.figuresDir).length} files)`);
}

export const command: CliCommand = {
  name: "main",
  summary: "the main job: Jupyter, data, pipeline steps, notebooks, report (npm start)",
  usage,
  async run(argv) {
    const { steps, subset, install, splitPolicy } = parseMainArgs(argv);
    // A wrong FMA_DIR stops the job at once, before anything slow runs (the data step checks it again).
    if (process.env.FMA_DIR && steps.some((s) => s.id === "data")) {
      const problems = checkDataset(process.env.FMA_DIR, subset);
      if (problems.length > 0) {
        console.error([`FMA_DIR=${process.env.FMA_DIR} is not ready for fma_${subset}:`, ...problems.map((p) => `  - ${p}`)].join("\n"));
        return 2;
      }
    }
    const outDir = path.join(PROJECT_ROOT, "out");
    const ctx: MainContext = {
      root: PROJECT_ROOT,
      dataDir: SYNTHETIC_DIR,
      dataKind: "synthetic" as StudyDataKind,
      subset,
      install,
      splitPolicy,
      outDir,
      reportDir: path.join(outDir, "report"),
      figuresDir: path.join(PROJECT_ROOT, "figures"),
      notebookRuns: [],
      stepSeconds: [],
      reportSections: [],
      failures: [],
      log: (line) => console.log(line),
    };
    const started = Date.now();
    const stopped = await runSteps(ctx, steps, started);
    if (stopped !== null) return stopped;
    await printSummary(ctx, started);
    if (ctx.failures.length > 0) {
      console.error(`problems:\n  - ${ctx.failures.join("\n  - ")}`);
      return 1;
    }
    return 0;
  },
};
