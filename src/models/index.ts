export * from "./spec";
export * from "./zoo";
export { SEED_V2_CHANNELS } from "./seed";
export { loadResNet50Weights } from "./resnet50";
export { DEFAULT_FEATURE_DIM } from "./features";
