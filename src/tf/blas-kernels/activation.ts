// The activations the fused kernels (FusedConv2D, _FusedMatMul) apply in place after the GEMM and bias.
// PReLU (per-channel weights) is left to the wasm kernels.

const SUPPORTED = new Set(["linear", "relu", "relu6", "leakyrelu", "elu", "sigmoid"]);

export function activationSupported(activation: string | undefined): boolean {
  return SUPPORTED.has(activation ?? "linear");
}

/** y ← act(y) in place. */
export function applyActivation(y: Float32Array, activation: string | undefined, leakyreluAlpha = 0.2): void {
  const n = y.length;
  switch (activation ?? "linear") {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < n; i++) y[i] = y[i] < 0 ? 0 : y[i] > 6 ? 6 : y[i];
      return;
    case "leakyrelu":
      for (let i = 0; i < n; i++) if (y[i] < 0) y[i] *= leakyreluAlpha;
      return;
    case "elu":
      for (let i = 0; i < n; i++) if (y[i] < 0) y[i] = Math.exp(y[i]) - 1;
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      return;
    default:
      throw new Error(`BLAS kernels: unsupported activation '${activation}'`);
  }
}
