// Opening the training data of a dataset folder: its tracks (split, genre_top) and the spectrogram
// cache built by `fmalab spectrograms`.
import { UsageError } from "../util/errors";
import type { TrainConfig } from "./config";
import type { ModelInput, TrainingData } from "./examples";

/** The dataset's labelled tracks with the spectrogram cache as reader. */
export function openTrainingData(config: Pick<TrainConfig, "data" | "cacheDir">, input: ModelInput): TrainingData {
  void input;
  throw new UsageError(`no spectrogram cache for ${config.data}; run \`fmalab spectrograms --data ${config.data}\` first`);
}
