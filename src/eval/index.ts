// Evaluation: classification metrics with bootstrap intervals, batched multi-crop prediction, run evaluation.
export * from "./metrics";
export * from "./predict";
export * from "./evaluate";
export * from "./run";
