// Training: the training loop (checkpoints, resume), run folders, opening the training data, evaluating a
// run folder again.
//
// Layering: train sits ABOVE eval (models → eval → train): the loop validates with eval's predictions and
// ends with evaluateModel. Nothing in src/eval imports src/train (tests/unit/layers.test.ts). The example and
// input contracts (Example, InputBuilder, TrainingData) and the augmentations live in src/models/inputs.ts and
// src/models/augment.ts, below both.
export * from "./config";
export * from "./checkpoint";
export * from "./runs";
export * from "./train";
export * from "./sources";
export * from "./evaluate-run";
