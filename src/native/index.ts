// System libraries called in-process (koffi); each user falls back to a WASM twin when one is absent.
export * from "./library";
export * from "./settings";
export * from "./blas";
