// Misclassification analysis: genres_all co-occurrence and hypothesis tests, embeddings (UMAP), statistics.
export * from "./stats";
export * from "./genres";
export * from "./embeddings";
export * from "./saliency";
export * from "./resynth";
