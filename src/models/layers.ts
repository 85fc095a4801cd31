// Small building blocks shared by the zoo: seeded initialisers and named conv blocks (NHWC).
import * as tf from "@tensorflow/tfjs";

/** Hands out seeded glorot/he initialisers, one new seed per layer, so a model is reproducible from one seed. */
export class SeededInit {
  private next: number;
  constructor(seed: number | undefined) {
    this.next = seed ?? Math.floor(Math.random() * 2 ** 31);
  }
  kernel(kind: "glorot" | "he" = "glorot"): ReturnType<typeof tf.initializers.glorotUniform> {
    const seed = this.next++;
    return kind === "he" ? tf.initializers.heNormal({ seed }) : tf.initializers.glorotUniform({ seed });
  }
}

/** PyTorch BatchNorm2d defaults (momentum 0.1 ↔ Keras 0.9, eps 1e-5). */
export function batchNorm(name: string, epsilon = 1e-5): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon });
}

export interface ConvOpts {
  filters: number;
  kernel: number;
  strides?: number;
  padding?: "same" | "valid";
  useBias?: boolean;
  init: SeededInit;
  name: string;
}

export function conv(o: ConvOpts): tf.layers.Layer {
  return tf.layers.conv2d({
    name: o.name,
    filters: o.filters,
    kernelSize: o.kernel,
    strides: o.strides ?? 1,
    padding: o.padding ?? "same",
    useBias: o.useBias ?? true,
    kernelInitializer: o.init.kernel("glorot"),
    biasInitializer: "zeros",
  });
}

export function dense(name: string, units: number, init: SeededInit, activation?: "relu" | "softmax"): tf.layers.Layer {
  return tf.layers.dense({ name, units, activation, kernelInitializer: init.kernel("glorot"), biasInitializer: "zeros" });
}

/**
 * Dropout; with `opts.dropoutSeed` the mask is fixed (the same every step: only for backend-parity tests,
 * where both backends must drop the same units).
 */
export function dropout(name: string, rate: number, opts: { dropoutSeed?: number }): tf.layers.Layer {
  return tf.layers.dropout({ name, rate, seed: opts.dropoutSeed });
}

/** Apply a layer to a symbolic tensor (the functional API's `layer.apply`, typed). */
export function ap(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}
