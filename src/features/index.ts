// Features stage: log-mel spectrograms (librosa parity), their images, meyda clip features with FMA's
// statistics, and the resumable spectrogram cache.
export * from "./fft";
export * from "./melspec";
export * from "./image";
export * from "./colormap";
export * from "./stats";
export * from "./meyda";
export * from "./cache";
