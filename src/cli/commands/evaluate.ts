// `fmalab evaluate`: evaluate a run's best (or last) model on the test split and print the report.
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import type { BackendName } from "../../tf/backend";
import type { EvaluationResult } from "../../eval/evaluate";

const usage = `Usage: fmalab evaluate --run ID [--runs DIR] [--weights best|last] [--crops K] [--backend NAME] [--json]

Evaluates RUNS/ID/best (or last) on the test split: track-level metrics (mean of K crops' probabilities)
and clip-level metrics (each crop alone), accuracy and macro-F1 with bootstrap 95% intervals, top-2
accuracy, per-class precision/recall/F1, confusion matrix. Rewrites RUNS/ID/evaluation.json,
predictions.jsonl and embeddings.f32/.json.

  --run ID          the run (folder name under --runs, or a run folder path)
  --runs DIR        default runs
  --weights W       best (lowest validation loss; default) or last
  --crops K         crops per track (default: the run's eval crops)
  --backend NAME    tensorflow, wasm or cpu
  --json            print evaluation.json instead of the table`;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The evaluation as a text report (per-class table and confusion matrix). */
export function formatEvaluation(ev: EvaluationResult): string {
  const t = ev.trackLevel;
  const width = Math.max(8, ...ev.classes.map((c) => c.length));
  const lines = [
    `run ${ev.runId ?? "?"} (${ev.model}) on ${ev.split}: ${ev.nTracks} tracks, ${ev.crops} crops each`,
    `track level: accuracy ${pct(t.accuracy)} [95% CI ${pct(t.intervals.accuracy.low)}–${pct(t.intervals.accuracy.high)}], ` +
      `macro-F1 ${t.macro.f1.toFixed(3)} [${t.intervals.macroF1.low.toFixed(3)}–${t.intervals.macroF1.high.toFixed(3)}], top-2 ${pct(t.top2Accuracy)}, log loss ${t.logLoss.toFixed(3)}`,
    `clip level (single crops): accuracy ${pct(ev.clipLevel.accuracy)}, macro-F1 ${ev.clipLevel.macro.f1.toFixed(3)}`,
    `chance: ${pct(1 / ev.classes.length)}`,
    "",
    `${"genre".padEnd(width)}  precision  recall     f1  support`,
    ...t.perClass.map(
      (c) => `${c.label.padEnd(width)}  ${c.precision.toFixed(3).padStart(9)}  ${c.recall.toFixed(3).padStart(6)}  ${c.f1.toFixed(3).padStart(5)}  ${String(c.support).padStart(7)}`,
    ),
    "",
    `confusion (rows true, columns predicted: ${ev.classes.map((c) => c.slice(0, 4)).join(" ")})`,
    ...t.confusion.map((row, i) => `${ev.classes[i].padEnd(width)}  ${row.map((v) => String(v).padStart(4)).join(" ")}`),
  ];
  return lines.join("\n");
}

export const command: CliCommand = {
  name: "evaluate",
  summary: "evaluate a run's best model on the test split (metrics, CIs, confusion, embeddings)",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        run: { type: "string" },
        runs: { type: "string" },
        weights: { type: "string" },
        crops: { type: "string" },
        backend: { type: "string" },
        json: { type: "boolean" },
      },
      usage,
    );
    if (!values.run) throw new UsageError(`--run ID is required\n\n${usage}`);
    if (values.weights !== undefined && values.weights !== "best" && values.weights !== "last") {
      throw new UsageError(`--weights must be best or last, got "${values.weights}"`);
    }
    if (values.backend !== undefined && !["tensorflow", "wasm", "cpu"].includes(values.backend)) {
      throw new UsageError(`--backend must be tensorflow, wasm or cpu, got "${values.backend}"`);
    }
    const { evaluateRun } = await import("../../train/evaluate-run");
    const ev = await evaluateRun(values.run, {
      runsDir: values.runs ?? "runs",
      weights: values.weights as "best" | "last" | undefined,
      crops: values.crops === undefined ? undefined : intOption(values.crops, "crops", 1),
      backend: values.backend as BackendName | undefined,
    });
    console.log(values.json ? JSON.stringify(ev, null, 2) : formatEvaluation(ev));
    return 0;
  },
};
