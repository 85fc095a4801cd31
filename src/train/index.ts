// Training: examples from the spectrogram cache, augmentation, the training loop, run folders.
export * from "./augment";
export * from "./config";
export * from "./examples";
export * from "./checkpoint";
export * from "./runs";
export * from "./train";
export * from "./sources";
