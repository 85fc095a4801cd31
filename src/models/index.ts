// Models: the model zoo (tfjs LayersModels by name), and the example/input contracts every stage above
// shares — Example, InputBuilder, TrainingData (inputs.ts) and the input augmentations (augment.ts). They
// sit here, below eval and train, so that neither of those imports the other for them.
export * from "./spec";
export * from "./zoo";
export * from "./inputs";
export * from "./augment";
export { SEED_V2_CHANNELS } from "./seed";
export { loadResNet50Weights } from "./resnet50";
export { DEFAULT_FEATURE_DIM } from "./features";
