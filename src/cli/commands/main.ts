// `fmalab main` (= `npm start`): the main job. Runs the pipeline's steps in order, each under a progress
// header, then writes out/report/index.html. Steps share one MainContext; a step may stop the job (e.g. an
// incomplete FMA_DIR) with a message and exit status. Adding a step = adding one entry to MAIN_STEPS.
import * as fs from "node:fs";
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

// Later steps (spectrogram cache, training, evaluation, figures) go between "data" and "notebooks":
// one entry each, reading ctx.dataDir/ctx.subset and adding ctx.reportSections.

const notebooksStep: MainStep = {
  id: "notebooks",
  title: "execute the notebooks (executed copies in out/notebooks, HTML in out/report)",
  async run(ctx) {
    ctx.notebookRuns = await runNotebooks({
      outDir: path.join(ctx.outDir, "notebooks"),
      htmlDir: ctx.reportDir,
      dataDir: ctx.dataDir,
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
    writeFileAtomic(target, renderReportIndex(ctx));
    ctx.log(`report: ${target}`);
  },
};

/** The main job's steps, in order. */
export const MAIN_STEPS: MainStep[] = [setupStep, dataStep, notebooksStep, reportStep];

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
fmalab download command to run); otherwise the synthetic dataset in data/synthetic, generated if absent.
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
      reportSections: [],
      failures: [],
      log: (line) => console.log(line),
    };
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
      const outcome = await step.run(ctx);
      if (outcome && outcome.stop) {
        console.error(`\nstopped at step "${step.id}":\n${outcome.message}`);
        return outcome.exitCode;
      }
      console.log(`--- ${step.id} done in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
    }
    console.log(`\nmain job finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
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
