// Many runs at once, above the study: array jobs (one `fmalab` command line per task) run locally or as a
// Slurm array, and hyperparameter sweeps built on them. What the notebooks use is the sweep:
// lab.cluster.makeSweepSpec + runSweep train a grid in-process the way `fmalab sweep SPEC.json` does.
export * from "./sweep";
export * from "./jobs";
export { runArrayJobLocally, type LocalRunOptions } from "./local";
export { describeFailures, sbatchScript, submitArrayJob, type SlurmSettings, type Submission } from "./slurm";
