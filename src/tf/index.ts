export * from "./backend";
export * from "./io";
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "./wasm-kernels";
export { registerBlasKernels, BLAS_KERNELS } from "./blas-kernels";
