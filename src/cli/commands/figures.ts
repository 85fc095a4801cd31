// `fmalab figures`: regenerate every report figure from the dataset and a run into figures/: static SVG +
// PNG for each catalogue figure, HTML for tables and the interactive (plotly) views. A missing input skips
// only the figures that need it, with a message saying what is missing and how to make it.
// The work is the study stage's (src/study/figures.ts): this file parses flags and calls it.
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { generateFigures, SALIENCY_METHOD_NAMES, type FiguresOptions } from "../../study";
import { dataDirFromEnv } from "../../study/settings";

export { generateFigures, type FiguresOptions, type FiguresResult } from "../../study";

const usage = `Usage: fmalab figures [--data DIR] [--run ID] [--runs DIR] [--out DIR] [--saliency METHOD]
                      [--saliency-clips N] [--compare ID] [--sweep SPEC.json ...] [--no-interactive] [--no-png] [--quiet]

Regenerates the report figures from the dataset and a training run into --out (default figures/):
NAME.svg + NAME.png (static), NAME.html (tables; interactive plotly views with --interactive, the default).
Deterministic: the same data and run give byte-identical SVGs.

  --data DIR          dataset folder (default: $FMALAB_DATA, $FMA_DIR, else data/synthetic): genre distribution and split,
                      genre tree, genre co-occurrence, one example spectrogram per genre (needs audio)
  --run ID            run folder name under --runs, or a run folder (default: the newest run): training
                      curves, confusion matrix, per-genre scores, UMAP, saliency per genre
  --runs DIR          default runs; every run of the run's study with an evaluation goes into the run
                      comparison (sweep runs never do: draw them with --sweep)
  --compare ID        the run to compare validation accuracy with (default: a run of the same model
                      with the opposite class-weights setting, when there is one)
  --saliency METHOD   gradcam (default), vanilla, smoothgrad, ig, or none
  --saliency-clips N  test clips per genre averaged in the saliency grid (default 4)
  --sweep SPEC.json   also draw this sweep (fmalab sweep's spec; its runs under --runs): sweep-<name>.svg +
                      .png (two grid options: heat maps of validation and test accuracy; otherwise a dot
                      plot with 95% intervals) and sweep-<name>-table.html; repeat for several sweeps
  --out DIR           output folder (default figures)
  --no-interactive    skip the plotly HTML views (each inlines the 4.7 MB plotly bundle)
  --no-png            SVG only
  --quiet             no progress lines`;

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
        sweep: { type: "string", multiple: true },
        out: { type: "string" },
        saliency: { type: "string" },
        "saliency-clips": { type: "string" },
        "no-interactive": { type: "boolean" },
        "no-png": { type: "boolean" },
        quiet: { type: "boolean" },
      },
      usage,
    );
    const saliency = (values.saliency ?? "gradcam") as FiguresOptions["saliency"];
    if (saliency !== "none" && !SALIENCY_METHOD_NAMES.includes(saliency)) {
      throw new UsageError(`--saliency must be gradcam, vanilla, smoothgrad, ig or none, got "${values.saliency}"`);
    }
    const outDir = values.out ?? "figures";
    // Every spec is read and checked before anything is drawn (lazily: the checks load the model zoo).
    const { readSweepSpec } = values.sweep ? await import("../../cluster/sweep") : { readSweepSpec: null };
    const sweeps = (values.sweep ?? []).map((file) => readSweepSpec!(file));
    const result = await generateFigures({
      dataDir: values.data ?? dataDirFromEnv(process.env),
      run: values.run ?? null,
      runsDir: values.runs ?? "runs",
      compare: values.compare ?? null,
      outDir,
      saliency,
      saliencyClips: intOption(values["saliency-clips"], "saliency-clips", 4),
      interactive: !values["no-interactive"],
      png: !values["no-png"],
      sweeps: sweeps.length ? sweeps : undefined,
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
