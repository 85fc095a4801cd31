// Small building blocks shared by the zoo: seeded initialisers and named conv blocks (NHWC).
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining, batchNormTrainingAvailable } from "../tf/fused-ops/batch-norm-training";

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
  return new FusedBatchNormalization({ name, axis: -1, momentum: 0.9, epsilon });
}

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
/** The fields of tfjs-layers' BatchNormalization that training mode reads (private in its typings). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}
type Kwargs = Record<string, unknown>;
// tfjs-layers does not export the class itself: take it from an instance.
const BatchNormalizationBase = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as {
  new (args?: BatchNormArgs): tf.layers.Layer;
  className: string;
};

/**
 * tfjs-layers' BatchNormalization (same config, weights and className, so saved models load anywhere) whose
 * training mode runs the fused op of src/tf/fused-ops/batch-norm-training.ts where the backend has it: the
 * same maths in 4 activation passes instead of ≈20. Inference and other backends are tfjs-layers' own.
 */
export class FusedBatchNormalization extends BatchNormalizationBase {
  static override className = BatchNormalizationBase.className;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (kwargs.training !== true || !lastAxis || !self.center || !self.scale || x.rank < 2 || !batchNormTrainingAvailable()) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // The moving averages exactly as tfjs-layers updates them.
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        const current = variable.read();
        variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - self.momentum)));
      }
      return y;
    });
  }
}
// Loading a saved model builds this class for "BatchNormalization" too.
tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

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
