// The model zoo: every architecture the notebooks and the CLI can train, by name.
import type * as tf from "@tensorflow/tfjs";
import type { ModelBuildOptions, ModelSpec } from "./spec";
import {
  buildSeedConvNet,
  buildSeedConvNetImprov,
  buildSeedImproved,
  buildSeedImprovedV2,
  buildSeedMusicGenreCnn,
} from "./seed";
import { buildResNet50 } from "./resnet50";
import { buildCrnn, buildMelCnn4, buildProbe3Conv, buildShortChunkCnn, buildTimeConv1d } from "./mel";
import { buildFeatLogReg, buildFeatMlp, DEFAULT_FEATURE_DIM } from "./features";

const seedImage = { kind: "seed-image" as const, height: 224, width: 224, channels: 3 };
const logmel = { kind: "logmel" as const, height: 128, width: 128, channels: 1 };
const features = { kind: "features" as const, height: 1, width: DEFAULT_FEATURE_DIM, channels: 1 };

export const DEFAULT_MODEL = "mel_cnn4_128";

/** Wrap a builder so an input too small for the architecture fails clearly instead of inside a kernel. */
function checked(name: string, build: (opts?: ModelBuildOptions) => tf.LayersModel): (opts?: ModelBuildOptions) => tf.LayersModel {
  return (opts: ModelBuildOptions = {}) => {
    const model = build(opts);
    for (const layer of model.layers) {
      const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as Array<Array<number | null>>;
      if (shapes.some((shape) => shape.some((d) => d === 0))) {
        const input = model.inputs[0].shape.slice(1).join("×");
        model.dispose();
        throw new Error(`${name}: input ${input} is too small for this architecture (layer '${layer.name}' would have an empty output)`);
      }
    }
    return model;
  };
}

export const MODEL_ZOO: Record<string, ModelSpec> = {
  seed_convnet: {
    name: "seed_convnet",
    description: "Seed ConvNet: 2×[conv5×5 → BN → ReLU → maxpool → dropout .25] (32, 64), dense on 56·56·64",
    input: seedImage,
    build: checked("seed_convnet", buildSeedConvNet),
    paramsNote: "≈1.66 M at 224×224×3, 8 classes (dense 200704×8 dominates)",
    penultimateLayer: "flatten",
    lastConvLayer: "block2_relu",
  },
  seed_musicgenrecnn: {
    name: "seed_musicgenrecnn",
    description: "Seed MusicGenreCNN: conv3×3 32/64/128 each ReLU + maxpool, dense 512, dropout .5",
    input: seedImage,
    build: checked("seed_musicgenrecnn", buildSeedMusicGenreCnn),
    paramsNote: "≈51.5 M at 224×224×3 (dense 100352×512)",
    penultimateLayer: "fc1",
    lastConvLayer: "block3_relu",
  },
  seed_improved: {
    name: "seed_improved",
    description: "Seed ImprovedMusicGenreCNN: 4×[conv3×3 → BN → ReLU → maxpool] 32–256 → 14×14, dropout .5, dense 512",
    input: seedImage,
    build: checked("seed_improved", buildSeedImproved),
    paramsNote: "≈26.1 M at 224×224×3 (dense 50176×512)",
    penultimateLayer: "fc1",
    lastConvLayer: "block4_relu",
  },
  seed_convnet_improv: {
    name: "seed_convnet_improv",
    description: "Seed ConvNetIMPROV: 3×[conv3×3 → BN → ReLU → maxpool → dropout .25] (32, 64, 128; counts assumed), dense 1024",
    input: seedImage,
    build: checked("seed_convnet_improv", buildSeedConvNetImprov),
    paramsNote: "≈102.9 M at 224×224×3 (dense 100352×1024)",
    penultimateLayer: "fc1",
    lastConvLayer: "block3_relu",
  },
  seed_improved_v2: {
    name: "seed_improved_v2",
    description:
      "Seed ImprovedMusicGenreCNNv2: 6×[conv3×3 → BN → LeakyReLU] 32→1024 with 1×1 conv+BN shortcuts, pools → 7×7×1024, dense 2048/1024",
    input: seedImage,
    build: checked("seed_improved_v2", buildSeedImprovedV2),
    paramsNote: "≈112 M at 224×224×3 (dense 50176×2048 = 102.8 M)",
    penultimateLayer: "fc2",
    lastConvLayer: "block6_add",
  },
  resnet50: {
    name: "resnet50",
    description: "ResNet50 from scratch (Keras layout); loadResNet50Weights() reads local converted weights, never downloads",
    input: seedImage,
    build: checked("resnet50", buildResNet50),
    paramsNote: "23,604,104 for 8 classes (23,587,712 backbone incl. BN statistics + 16,392 head)",
    penultimateLayer: "avg_pool",
    lastConvLayer: "conv5_block3_out",
  },
  mel_cnn4_128: {
    name: "mel_cnn4_128",
    description: "Default: 4×[conv3×3 (32, 64, 128, 128) → BN → ReLU → maxpool], GAP, dropout .3, dense — on 128×128 log-mel",
    input: logmel,
    build: checked("mel_cnn4_128", buildMelCnn4),
    paramsNote: "242,344 (convs without bias; BN incl. moving statistics)",
    penultimateLayer: "gap",
    lastConvLayer: "block4_relu",
  },
  shortchunk_cnn: {
    name: "shortchunk_cnn",
    description: "Short-chunk CNN (after Won et al. 2020), 7 conv blocks, narrowed to 32–128 channels, on ≈3 s (128-frame) crops",
    input: logmel,
    build: checked("shortchunk_cnn", buildShortChunkCnn),
    paramsNote: "232,104",
    penultimateLayer: "fc1_relu",
    lastConvLayer: "block7_relu",
  },
  timeconv1d: {
    name: "timeconv1d",
    description: "1-D convolutions over time with mel bands as channels, 3 blocks (64, 128, 128), avg+max pooling over time",
    input: logmel,
    build: checked("timeconv1d", buildTimeConv1d),
    paramsNote: "167,176",
    penultimateLayer: "pooled",
    lastConvLayer: "block3_relu",
  },
  crnn: {
    name: "crnn",
    description: "CRNN: 3 conv blocks (32, 64, 64) then a GRU(64) over time on the log-mel (after Choi et al. 2017, narrowed)",
    input: logmel,
    build: checked("crnn", buildCrnn),
    paramsNote: "265,832",
    penultimateLayer: "gru",
    lastConvLayer: "block3_relu",
  },
  probe_3conv_128: {
    name: "probe_3conv_128",
    description: "Small probe: conv3×3 16 → pool → 32 → pool → 64, GAP, dense",
    input: logmel,
    build: checked("probe_3conv_128", buildProbe3Conv),
    paramsNote: "23,816",
    penultimateLayer: "gap",
    lastConvLayer: "block3_relu",
  },
  feat_logreg: {
    name: "feat_logreg",
    description: "Logistic regression (one dense softmax) on the standardised meyda feature vector (dim = inputDim)",
    input: features,
    build: checked("feat_logreg", buildFeatLogReg),
    paramsNote: "(dim + 1) × classes",
    penultimateLayer: "input",
    lastConvLayer: null,
  },
  feat_mlp: {
    name: "feat_mlp",
    description: "MLP on the feature vector: dense 256 → dropout .3 → dense 128 → dropout .3 → softmax",
    input: features,
    build: checked("feat_mlp", buildFeatMlp),
    paramsNote: "(dim+1)·256 + 257·128 + 129·classes",
    penultimateLayer: "hidden2",
    lastConvLayer: null,
  },
};

export function listModels(): ModelSpec[] {
  return Object.values(MODEL_ZOO);
}

export function getModelSpec(name: string): ModelSpec {
  const spec = MODEL_ZOO[name];
  if (!spec) throw new Error(`unknown model '${name}'; known models: ${Object.keys(MODEL_ZOO).join(", ")}`);
  return spec;
}

/** Whether a zoo model takes a feature vector (spec.input.kind "features") rather than a spectrogram. */
export function isFeatureModel(name: string): boolean {
  return getModelSpec(name).input.kind === "features";
}

/** Build a fresh model of the zoo by name. */
export function createModel(name: string, opts: ModelBuildOptions = {}): tf.LayersModel {
  return getModelSpec(name).build(opts);
}

export function penultimateLayerName(spec: ModelSpec | string): string {
  return (typeof spec === "string" ? getModelSpec(spec) : spec).penultimateLayer;
}

export function lastConvLayerName(spec: ModelSpec | string): string | null {
  return (typeof spec === "string" ? getModelSpec(spec) : spec).lastConvLayer;
}
