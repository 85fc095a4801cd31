// The saliency methods the study's figures and notebooks share: one table, name → label and map function.
import type { SaliencyMethod } from "../analysis/saliency";

/* eslint-disable @typescript-eslint/no-var-requires -- lazy stages, see dataset.ts */

export type SaliencyMethodName = "gradcam" | "vanilla" | "smoothgrad" | "ig";
export const SALIENCY_METHOD_NAMES: readonly SaliencyMethodName[] = ["gradcam", "vanilla", "smoothgrad", "ig"];

/** Options of the methods: SmoothGrad samples and seed, integrated-gradient steps, Grad-CAM's layer. */
export interface SaliencyMethodOptions {
  smoothGradSamples?: number;
  igSteps?: number;
  seed?: number;
  /** The conv layer Grad-CAM looks at (null: the model has none, Grad-CAM throws). */
  layerName?: string | null;
}

/** Display labels, in the order notebook 04 compares them. */
export const SALIENCY_METHOD_LABELS: Readonly<Record<SaliencyMethodName, string>> = {
  vanilla: "vanilla gradient",
  smoothgrad: "SmoothGrad",
  gradcam: "Grad-CAM",
  ig: "Integrated Gradients",
};

/** The method `name` as a function (model, input, class) → map. Defaults: 16 SmoothGrad samples, 32 IG steps. */
export function saliencyMethod(name: SaliencyMethodName, opts: SaliencyMethodOptions = {}): SaliencyMethod {
  const saliency = require("../analysis/saliency") as typeof import("../analysis/saliency");
  switch (name) {
    case "vanilla":
      return saliency.vanillaGradient;
    case "smoothgrad":
      return (m, x, k) => saliency.smoothGrad(m, x, k, { samples: opts.smoothGradSamples ?? 16, seed: opts.seed ?? 0 });
    case "ig":
      return (m, x, k) => saliency.integratedGradients(m, x, k, { steps: opts.igSteps ?? 32 });
    case "gradcam":
      return (m, x, k) => {
        if (!opts.layerName) throw new Error("this model has no conv layer for Grad-CAM");
        return saliency.gradCam(m, x, k, { layerName: opts.layerName });
      };
  }
}

/** Every method with its label (notebook 04's comparison on one clip). */
export function saliencyMethods(opts: SaliencyMethodOptions = {}): Array<{ name: SaliencyMethodName; method: string; fn: SaliencyMethod }> {
  return (Object.keys(SALIENCY_METHOD_LABELS) as SaliencyMethodName[]).map((name) => ({ name, method: SALIENCY_METHOD_LABELS[name], fn: saliencyMethod(name, opts) }));
}
