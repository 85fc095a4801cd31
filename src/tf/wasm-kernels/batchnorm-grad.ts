// Gradient of FusedBatchNorm without tf.tile. tfjs-core's gradient tiles 1/sqrt(var+eps) to the full
// activation shape before multiplying (a full-size copy per BN layer per step: ≈1.2 s of a mel_cnn4_128
// step on wasm); broadcasting gives the same numbers. Gradients are global (not per backend), so this
// replaces the gradient on every backend: the maths is unchanged (tests compare against tfjs-core's).
import * as tf from "@tensorflow/tfjs";

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const dY = dy as tf.Tensor;
    const varianceEpsilon = attrs.varianceEpsilon as number;
    const [x, mean, variance, scale] = saved;
    const scaleValue = scale == null ? tf.scalar(1) : scale;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = mean.rank === 1;
    const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const reduce = (t: tf.Tensor): tf.Tensor => tf.reshape(perChannel ? tf.sum(t, reductionAxes) : t, mean.shape);
    return {
      x: () => tf.reshape(tf.mul(dY, tf.mul(oneOverSqrtVariance, scaleValue)), x.shape),
      mean: () => reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), tf.mul(dY, scaleValue))),
      variance: () => {
        const minusHalfRCube = tf.mul(tf.pow(oneOverSqrtVariance, tf.scalar(3)), tf.scalar(-0.5));
        return reduce(tf.mul(tf.mul(minusHalfRCube, tf.sub(x, mean)), tf.mul(dY, scaleValue)));
      },
      scale: () => reduce(tf.mul(dY, tf.mul(tf.sub(x, mean), oneOverSqrtVariance))),
      offset: () => reduce(dY),
    };
  },
};
