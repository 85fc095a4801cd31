// The data stage: FMA metadata (tracks.csv, genres.csv), the known-bad clip policy, and dataset layouts.
export * from "./schema";
export * from "./csv";
export * from "./genres";
export * from "./tracks";
export * from "./known-bad";
export * from "./dataset";
export * from "./archives";
export * from "./download";
export * from "./unzip";
export * from "./synth";
