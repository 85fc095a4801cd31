// The study as a stage: between the library stages and their clients (the CLI, the notebooks). It owns the
// dataset, cache and run plan (which runs, sizes, reuse), what each split holds (splits.ts: stop, a labelled
// smoke run, or an explicit re-split when the official splits cannot support the study), the RunRecord of a
// reused run, the report inputs and HTML report, reading predictions and embeddings, and the registries the
// figures and notebooks share (saliency methods, figure list). Everything takes an explicit StudyConfig;
// settings.ts is the one module here that reads the environment (for the notebooks).
export * from "./config";
export * from "./settings";
export * from "./splits";
export * from "./dataset";
export * from "./plan";
export * from "./runs";
export * from "./predictions";
export * from "./saliency-methods";
export * from "./sweeps";
export * from "./figures";
export * from "./report";
export { REPORT_FIGURE_NAMES } from "../plots/figures";
