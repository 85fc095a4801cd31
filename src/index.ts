// The one public entry the notebooks import: `import * as lab from "./src"`.
//
// One sub-namespace per stage, in layer order (each stage imports only the ones before it), as librosa has
// librosa.feature / librosa.effects:
//   lab.data      FMA metadata, tracks, splits, download, the synthetic dataset (lab.data.synth is not here:
//                 import "./src/data/synth" for the 2.6k-line music synthesiser)
//   lab.audio     decoding and resampling
//   lab.features  STFT, log-mel (features/melspec.ts), the spectrogram cache, clip features
//   lab.models    the model zoo, the example/input contracts and augmentations
//   lab.eval      metrics, predictions, evaluating a model on a split
//   lab.train     training runs (checkpoints, resume), run folders, evaluating a run folder again
//   lab.analysis  saliency, embeddings, genre statistics
//   lab.plots     figures (Observable Plot, plotly), HTML display, audio players
//   lab.study     the study: config, split plan, runs, report, figures (what the notebooks and the CLI call)
//   lab.cluster   many runs at once: hyperparameter sweeps (runSweep, the same as `fmalab sweep`), array jobs
// The names are also exported flat (lab.loadAudio …) for the notebooks written before the namespaces.
export * as util from "./util";
export * as data from "./data";
export * as audio from "./audio";
export * as features from "./features";
export * as models from "./models";
// `eval` cannot be a local binding in strict mode: bound under another name, exported as lab.eval.
import * as evalStage from "./eval";
export { evalStage as eval };
export * as train from "./train";
export * as analysis from "./analysis";
export * as plots from "./plots";
export * as study from "./study";
export * as cluster from "./cluster";
export * as tf from "./tf";
export * as native from "./native";
export * as notebook from "./notebook";

export * from "./util";
export * from "./data";
export * from "./plots";
export * from "./notebook";
export * from "./audio";
export * from "./features";
export * from "./tf";
export * from "./native";
export * from "./models";
export * from "./analysis";
export * from "./train";
export * from "./eval";
