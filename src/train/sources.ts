// Opening the training data of a dataset folder: its tracks (split, genre_top) and the spectrogram
// cache built by `fmalab spectrograms`, read one clip at a time.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../util/errors";
import { shellCommand, shellQuote } from "../util/shell";
import { openDataset } from "../data/dataset";
import { findCache, openSpectrogramCache, PARAMS_FILE, type CacheParams } from "../features/cache";
import { PROJECT_ROOT } from "../util/fs";
import type { TrainConfig } from "./config";
import type { LabelledTrack, ModelInput, TrainingData } from "../models/inputs";

/**
 * The dataset's labelled tracks with the spectrogram cache as reader. The cache is `config.cacheDir`
 * when that is a cache folder, else the one `fmalab spectrograms --data DIR [--cache ROOT]` builds for
 * the model's mel-band count (in ROOT = config.cacheDir, or <project>/cache).
 * Tracks without split or genre_top, and tracks whose clip is missing from the cache or failed there,
 * are excluded and listed (clips marked "short" are kept: the cache stores them zero-padded).
 */
export function openTrainingData(config: Pick<TrainConfig, "data" | "cacheDir">, input: ModelInput): TrainingData {
  const dataDir = path.resolve(config.data);
  if (!fs.existsSync(dataDir)) {
    throw new UsageError(`dataset folder ${dataDir} does not exist (make one with \`fmalab synth\` or \`fmalab download\`)`);
  }
  // --cache may name the cache folder itself, or the folder holding caches (like `fmalab spectrograms --cache`).
  const cacheDir =
    config.cacheDir && fs.existsSync(path.join(config.cacheDir, PARAMS_FILE))
      ? path.resolve(config.cacheDir)
      : locateCache(dataDir, input.kind === "logmel" ? input.height : null, config.cacheDir);
  const cache = openSpectrogramCache(cacheDir);
  const dataset = openDataset(dataDir);
  const tracks: LabelledTrack[] = [];
  const excluded: TrainingData["excluded"] = [];
  for (const r of dataset.tracks.records) {
    if (r.split === null) excluded.push({ trackId: r.trackId, reason: "no split in tracks.csv" });
    else if (!r.genreTop) excluded.push({ trackId: r.trackId, reason: "no genre_top in tracks.csv" });
    else {
      const entry = cache.entries.get(r.trackId);
      if (!entry) excluded.push({ trackId: r.trackId, reason: "not in the spectrogram cache" });
      else if (entry.status === "failed" || !entry.file) {
        excluded.push({ trackId: r.trackId, reason: `cache: failed (${entry.reason ?? "unknown"}${entry.message ? `: ${entry.message}` : ""})` });
      } else tracks.push({ trackId: r.trackId, split: r.split, genre: r.genreTop });
    }
  }
  // A missing or short file stops here, naming it and the repair command; a damaged one (CRC32) when read.
  cache.assertFilesVerify(tracks.map((t) => t.trackId));
  if (tracks.length === 0) {
    throw new UsageError(
      `none of the ${dataset.tracks.size} tracks of ${dataDir} (fma_${dataset.subset}) has a usable spectrogram in ${cacheDir}; ` +
        `build it with: ${shellCommand(["fmalab", "spectrograms", "--data", config.data])}`,
    );
  }
  return {
    source: dataDir,
    tracks,
    excluded,
    nMels: cache.nMels,
    cacheDir,
    reader: {
      spectrogram(trackId) {
        const s = cache.get(trackId);
        return { data: s.db, nMels: s.nMels, nFrames: s.nFrames };
      },
      features(trackId) {
        return cache.features(trackId);
      },
    },
  };
}

/**
 * The cache of `dataDir` for a model taking `nMels` mel bands (null: any): the one built with default
 * parameters if it exists, else the only cache of this dataset in `cacheRoot` with that band count
 * (e.g. built with --clip-seconds). None, or several: a UsageError listing what there is.
 */
export function locateCache(dataDir: string, nMels: number | null, cacheRoot?: string): string {
  const root = path.resolve(cacheRoot ?? path.join(PROJECT_ROOT, "cache"));
  try {
    return findCache(dataDir, { cacheRoot: root, ...(nMels !== null ? { mel: { nMels } } : {}) });
  } catch (err) {
    const candidates = fs.existsSync(root)
      ? fs
          .readdirSync(root)
          .map((name) => path.join(root, name))
          .filter((dir) => {
            try {
              const p = JSON.parse(fs.readFileSync(path.join(dir, PARAMS_FILE), "utf8")) as CacheParams;
              return p.dataRoot === path.resolve(dataDir) && (nMels === null || p.mel.nMels === nMels);
            } catch {
              return false;
            }
          })
      : [];
    if (candidates.length === 1) return candidates[0];
    if (candidates.length > 1) {
      throw new UsageError(
        `several spectrogram caches of ${path.resolve(dataDir)} fit (${candidates.map((c) => path.basename(c)).join(", ")}); ` +
          `choose one with --cache ${shellQuote(root + "/")}<folder>`,
      );
    }
    throw err;
  }
}
