// Parity of our wasm training kernels (src/tf/wasm-kernels) with the cpu backend, and of the tile-free
// BatchNorm gradient with the gradient of BatchNorm written out in primitive ops.
import "../helpers/compute-env";
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf";
import { onBackend, randomArray, relMaxError } from "../helpers/tf-parity";

const TOL = 1e-4;

before(async () => {
  await initBackend({ backend: "wasm", log: false });
});

type Pad = "same" | "valid";
interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  cin: number;
  cout: number;
  stride: number;
  pad: Pad;
}

const CASES: ConvCase[] = [];
for (const batch of [1, 3])
  for (const [h, w] of [
    [7, 9],
    [8, 10],
  ])
    for (const [cin, cout] of [
      [1, 5],
      [3, 3],
      [5, 1],
    ])
      for (const stride of [1, 2])
        for (const pad of ["same", "valid"] as Pad[]) CASES.push({ x: [batch, h, w, cin], k: [3, 3], cin, cout, stride, pad });
// Other kernel sizes: 1×1 (shortcuts), 5×5 (seed ConvNet), 7×7 stride 2 (ResNet stem).
CASES.push({ x: [2, 9, 9, 3], k: [5, 5], cin: 3, cout: 4, stride: 1, pad: "same" });
CASES.push({ x: [2, 9, 8, 3], k: [1, 1], cin: 3, cout: 4, stride: 2, pad: "same" });
CASES.push({ x: [2, 9, 8, 3], k: [1, 1], cin: 3, cout: 4, stride: 1, pad: "valid" });
CASES.push({ x: [3, 8, 7, 5], k: [1, 1], cin: 5, cout: 2, stride: 2, pad: "valid" });
CASES.push({ x: [1, 7, 10, 2], k: [1, 1], cin: 2, cout: 3, stride: 3, pad: "same" });
CASES.push({ x: [2, 11, 13, 3], k: [7, 7], cin: 3, cout: 4, stride: 2, pad: "valid" });

function convOutShape(c: ConvCase): number[] {
  const [n, h, w] = c.x;
  const out = (size: number, k: number): number => (c.pad === "same" ? Math.ceil(size / c.stride) : Math.floor((size - k) / c.stride) + 1);
  return [n, out(h, c.k[0]), out(w, c.k[1]), c.cout];
}

for (const [i, c] of CASES.entries()) {
  const label = `x ${c.x.join("×")}, k ${c.k.join("×")}, ${c.cin}→${c.cout}, stride ${c.stride}, ${c.pad}`;
  const filterShape = [c.k[0], c.k[1], c.cin, c.cout];
  const dyShape = convOutShape(c);
  const xv = randomArray(c.x.reduce((a, b) => a * b), 100 + i);
  const wv = randomArray(filterShape.reduce((a, b) => a * b), 200 + i);
  const dyv = randomArray(dyShape.reduce((a, b) => a * b), 300 + i);
  const attrs = { strides: c.stride, pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined };

  test(`Conv2DBackpropFilter wasm = cpu: ${label}`, async () => {
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, dyShape) }, { ...attrs, filterShape } as never) as tf.Tensor;
    const [wasm] = await onBackend("wasm", run);
    const [cpu] = await onBackend("cpu", run);
    await tf.setBackend("wasm");
    assert.equal(wasm.length, filterShape.reduce((a, b) => a * b));
    const err = relMaxError(wasm, cpu);
    assert.ok(err < TOL, `relative max error ${err}`);
  });

  test(`Conv2DBackpropInput wasm = cpu: ${label}`, async () => {
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(wv, filterShape) }, {
        ...attrs,
        inputShape: c.x,
      } as never) as tf.Tensor;
    const [wasm] = await onBackend("wasm", run);
    const [cpu] = await onBackend("cpu", run);
    await tf.setBackend("wasm");
    const err = relMaxError(wasm, cpu);
    assert.ok(err < TOL, `relative max error ${err}`);
  });
}

test("conv2d gradients through tf.grads agree between wasm and cpu (odd sizes, stride 2, same)", async () => {
  const xs = [3, 7, 9, 5];
  const ws = [3, 3, 5, 3];
  const xv = randomArray(3 * 7 * 9 * 5, 11);
  const wv = randomArray(3 * 3 * 5 * 3, 12);
  const run = () => {
    const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same")));
    return tf.grads(f)([tf.tensor(xv, xs), tf.tensor(wv, ws)]);
  };
  const wasm = await onBackend("wasm", run);
  const cpu = await onBackend("cpu", run);
  await tf.setBackend("wasm");
  assert.ok(relMaxError(wasm[0], cpu[0]) < TOL, "dx");
  assert.ok(relMaxError(wasm[1], cpu[1]) < TOL, "dw");
});

test("tile-free FusedBatchNorm gradient equals the gradient of BN written in primitive ops", async () => {
  const shape = [3, 5, 7, 4];
  const n = shape.reduce((a, b) => a * b);
  const xv = randomArray(n, 21);
  const dyv = randomArray(n, 22);
  const scalev = randomArray(4, 23);
  const offsetv = randomArray(4, 24);
  for (const backend of ["cpu", "wasm"]) {
    const grads = (useKernel: boolean) =>
      onBackend(backend, () => {
        const dy = tf.tensor(dyv, shape);
        const f = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          const y = useKernel
            ? tf.batchNorm(x, mean, variance, offset, scale, 1e-3)
            : tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), scale), offset);
          return tf.sum(tf.mul(y, dy));
        };
        return tf.grads(f)([tf.tensor(xv, shape), tf.tensor(scalev, [4]), tf.tensor(offsetv, [4])]);
      });
    const fused = await grads(true);
    const plain = await grads(false);
    for (let k = 0; k < 3; k++) {
      const err = relMaxError(fused[k], plain[k]);
      assert.ok(err < 1e-4, `${backend}: gradient ${["x", "scale", "offset"][k]} relative error ${err}`);
    }
  }
  await tf.setBackend("wasm");
});

const REDUCE_SHAPE = [3, 7, 9, 5];
for (const kind of ["Sum", "Mean"] as const)
  for (const axis of [[0, 1, 2], [1, 2], [0], [0, 1], [2], [3], [1, 3]])
    for (const keepDims of [false, true]) {
      test(`${kind} wasm = cpu: axes [${axis}] of ${REDUCE_SHAPE.join("×")}, keepDims ${keepDims}`, async () => {
        const xv = randomArray(REDUCE_SHAPE.reduce((a, b) => a * b), 400 + axis.length);
        const run = () => tf.engine().runKernel(kind, { x: tf.tensor(xv, REDUCE_SHAPE) }, { axis, keepDims } as never) as tf.Tensor;
        await tf.setBackend("wasm");
        const shapeWasm = tf.tidy(() => run().shape);
        const [wasm] = await onBackend("wasm", run);
        await tf.setBackend("cpu");
        const shapeCpu = tf.tidy(() => run().shape);
        const [cpu] = await onBackend("cpu", run);
        await tf.setBackend("wasm");
        assert.deepEqual(shapeWasm, shapeCpu);
        const err = relMaxError(wasm, cpu);
        assert.ok(err < TOL, `relative max error ${err}`);
      });
    }

for (const [pool, stride, pad, shape] of [
  [2, 2, "valid", [3, 7, 9, 5]],
  [2, 2, "same", [3, 7, 9, 5]],
  [2, 2, "valid", [1, 8, 10, 1]],
  [3, 2, "same", [2, 9, 7, 3]],
  [3, 2, "valid", [2, 9, 7, 3]],
  [3, 1, "same", [1, 7, 9, 3]],
] as Array<[number, number, Pad, number[]]>) {
  test(`MaxPoolGrad wasm = cpu: pool ${pool}, stride ${stride}, ${pad}, x ${shape.join("×")}`, async () => {
    const xv = randomArray(shape.reduce((a, b) => a * b), 500 + pool * 10 + stride);
    // Include ties (as after a ReLU): a third of the inputs are exactly 0.
    for (let i = 0; i < xv.length; i += 3) xv[i] = 0;
    const run = () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, pool, stride, pad), tf.range(1, 1 + tf.maxPool(x as tf.Tensor4D, pool, stride, pad).size).reshape(tf.maxPool(x as tf.Tensor4D, pool, stride, pad).shape))))(
        tf.tensor(xv, shape),
      );
    const [wasm] = await onBackend("wasm", run);
    const [cpu] = await onBackend("cpu", run);
    await tf.setBackend("wasm");
    const err = relMaxError(wasm, cpu);
    assert.ok(err < TOL, `relative max error ${err}`);
  });
}

test("training steps on wasm leak no tensor buffers (our kernels free their intermediates)", async () => {
  await tf.setBackend("wasm");
  const { createModel } = await import("../../src/models");
  const model = createModel("mel_cnn4_128", { seed: 2, width: 0.25, inputShape: [16, 16, 1] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const x = tf.tensor(randomArray(2 * 16 * 16, 5), [2, 16, 16, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 3], "int32"), 8).toFloat();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  await model.trainOnBatch(x, y);
  const buffersAfterFirst = backend.numDataIds();
  const tensorsAfterFirst = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  assert.equal(tf.memory().numTensors, tensorsAfterFirst);
  assert.equal(backend.numDataIds(), buffersAfterFirst);
  model.dispose();
  tf.dispose([x, y]);
});

test("Identity and same-dtype Cast on wasm share the buffer; values and dtypes are right; other casts convert", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor([1.5, -2.25, 3], [3]);
  const id = tf.engine().runKernel("Identity", { x }) as tf.Tensor;
  const same = tf.cast(x, "float32");
  const toInt = tf.cast(x, "int32");
  assert.deepEqual(Array.from(id.dataSync()), [1.5, -2.25, 3]);
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
  assert.equal(toInt.dtype, "int32");
  assert.deepEqual(Array.from(toInt.dataSync()), [1, -2, 3]);
  // Disposing the source keeps the shared copies readable (reference counted).
  x.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
  tf.dispose([id, same, toInt]);
});

// BatchMatMul with one transposed operand goes through our rewrite (src/tf/wasm-kernels/matmul.ts):
// A^T·B with A transposed explicitly; A·B^T as (B·A^T)^T when B is the big operand, else the package's
// kernel. Each case against the cpu backend, batched and broadcast ones included.
const MATMUL_CASES: Array<{ a: number[]; b: number[]; tA: boolean; tB: boolean; why: string }> = [
  { a: [5, 7], b: [5, 3], tA: true, tB: false, why: "A^T·B (weight gradient)" },
  { a: [2, 5, 7], b: [2, 5, 3], tA: true, tB: false, why: "batched A^T·B" },
  { a: [9, 7], b: [9, 1], tA: true, tB: false, why: "A^T·w, matrix–vector: package kernel" },
  { a: [4, 6], b: [50, 6], tA: false, tB: true, why: "A·B^T, B big: rewritten" },
  { a: [1, 4, 6], b: [3, 50, 6], tA: false, tB: true, why: "A·B^T broadcast over B's batch: rewritten" },
  { a: [40, 6], b: [3, 6], tA: false, tB: true, why: "A·B^T, B small: package kernel" },
  { a: [5, 7], b: [3, 5], tA: true, tB: true, why: "both transposed: package kernel" },
  { a: [3, 4], b: [4, 2], tA: false, tB: false, why: "plain: package kernel" },
];
for (const [i, c] of MATMUL_CASES.entries()) {
  test(`BatchMatMul wasm = cpu: ${c.why} (a ${c.a.join("×")}, b ${c.b.join("×")})`, async () => {
    const av = randomArray(c.a.reduce((x, y) => x * y), 500 + i);
    const bv = randomArray(c.b.reduce((x, y) => x * y), 600 + i);
    const run = () => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.tA, c.tB);
    const [wasm] = await onBackend("wasm", run);
    const [cpu] = await onBackend("cpu", run);
    await tf.setBackend("wasm");
    assert.equal(wasm.length, cpu.length);
    const err = relMaxError(wasm, cpu);
    assert.ok(err < TOL, `relative max error ${err}`);
  });
}

test("BatchMatMul rewrites free their intermediates (backend buffers before = after)", async () => {
  await tf.setBackend("wasm");
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const a = tf.randomNormal([4, 6]);
  const b = tf.randomNormal([50, 6]);
  const c = tf.randomNormal([50, 3]);
  const before = backend.numDataIds();
  for (const [x, y, tA, tB] of [[a, b, false, true], [b, c, true, false]] as Array<[tf.Tensor2D, tf.Tensor2D, boolean, boolean]>) {
    tf.matMul(x, y, tA, tB).dispose();
  }
  assert.equal(backend.numDataIds(), before);
  tf.dispose([a, b, c]);
});

// Mean and Sum gradients broadcast dy without a tensor of ones (src/tf/wasm-kernels/reduce-grad.ts): on
// wasm through the copy kernel for contiguous axes (batch-norm moments, global pooling, trailing axes),
// tfjs-core's formula otherwise; against the cpu backend, and on wasm bit for bit against the formula.
const REDUCE_GRAD_CASES: Array<{ shape: number[]; axis: number[]; keepDims: boolean; why: string }> = [
  { shape: [2, 5, 6, 3], axis: [0, 1, 2], keepDims: false, why: "batch-norm moments (N, H, W)" },
  { shape: [2, 5, 6, 3], axis: [1, 2], keepDims: false, why: "global average pooling (H, W)" },
  { shape: [3, 7], axis: [1], keepDims: true, why: "last axis, keepDims" },
  { shape: [4, 3, 5], axis: [0], keepDims: false, why: "first axis" },
  { shape: [2, 5, 6, 3], axis: [0, 2], keepDims: false, why: "non-contiguous axes: tfjs-core's formula" },
];
for (const [i, c] of REDUCE_GRAD_CASES.entries()) {
  for (const op of ["mean", "sum"] as const) {
    test(`${op} gradient wasm = cpu: ${c.why}`, async () => {
      const xv = randomArray(c.shape.reduce((a, b) => a * b), 700 + i);
      const outShape = c.shape.map((d, a) => (c.axis.includes(a) ? 1 : d)).filter((d, a) => c.keepDims || !c.axis.includes(a));
      const dyv = randomArray(outShape.reduce((a, b) => a * b, 1), 800 + i);
      const run = () => tf.grad((x: tf.Tensor) => tf.mul(tf[op](x, c.axis, c.keepDims), tf.tensor(dyv, outShape)).sum())(tf.tensor(xv, c.shape));
      const [wasm] = await onBackend("wasm", run);
      const [cpu] = await onBackend("cpu", run);
      await tf.setBackend("wasm");
      assert.equal(wasm.length, xv.length);
      assert.ok(relMaxError(wasm, cpu) < TOL, `relative max error ${relMaxError(wasm, cpu)}`);
      // tfjs-core's formula on wasm: (dy reshaped · ones) / R.
      const R = c.axis.reduce((n, a) => n * c.shape[a], 1);
      const expandedShape = c.shape.map((d, a) => (c.axis.includes(a) ? 1 : d));
      const [formula] = await onBackend("wasm", () => {
        const full = tf.mul(tf.reshape(tf.tensor(dyv, outShape), expandedShape), tf.ones(c.shape));
        return op === "mean" ? tf.div(full, R) : full;
      });
      assert.deepEqual(Array.from(wasm), Array.from(formula));
    });
  }
}
