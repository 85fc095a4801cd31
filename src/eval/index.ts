// Evaluation: classification metrics with bootstrap intervals, batched multi-crop prediction, evaluating a
// model on a split (evaluation.json, predictions.jsonl, embeddings).
//
// Layering: eval sits BELOW train (models → eval → train). trainModel ends with evaluateModel and validates
// with lossAndAccuracy, so train imports eval; eval imports nothing from train. Evaluating a run *folder*
// again (evaluateRun) needs the run format, so it lives in train (src/train/evaluate-run.ts).
// tests/unit/layers.test.ts enforces this.
export * from "./metrics";
export * from "./predict";
export * from "./evaluate";
