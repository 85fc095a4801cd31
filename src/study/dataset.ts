// The study's dataset and spectrogram cache: open (or generate) the data, build the cache of its tracks.
import * as fs from "node:fs";
import * as path from "node:path";
import { openDataset, type FmaDataset } from "../data/dataset";
import { DEFAULT_DATA_DIR, type StudyConfig } from "./config";
import { studyTrackIds } from "./splits";

/* eslint-disable @typescript-eslint/no-var-requires -- stages load lazily (tfjs only when training), by require: a
   dynamic import() from a tslab kernel goes to Node's ESM loader, which cannot resolve extensionless .ts paths. */

/** Whether a generated dataset finished (synth.json status "complete"). */
export function synthComplete(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "synth.json"), "utf8")) as { status?: string }).status === "complete";
  } catch {
    return false;
  }
}

/**
 * Open the study's dataset; when it is the default embedded dataset (data/synthetic) and not completely
 * generated yet, generate or finish it first (what `fmalab synth` does; minutes on 2 cores).
 */
export async function ensureStudyDataset(cfg: StudyConfig, opts: { progress?: boolean } = {}): Promise<FmaDataset> {
  if (path.resolve(cfg.dataDir) === DEFAULT_DATA_DIR && !synthComplete(cfg.dataDir)) {
    const { ensureSyntheticDataset } = require("../data/synth") as typeof import("../data/synth");
    await ensureSyntheticDataset(cfg.dataDir, { progress: opts.progress });
  }
  return openDataset(cfg.dataDir);
}

/** The cache request of the study's sizes (librosa's mel parameters; clip length and resampler vary). */
export function studyCacheRequest(cfg: StudyConfig): { clipSeconds: number; resampleQuality: "best" | "fast" } {
  return { ...cfg.sizes.cache };
}

/**
 * Build (or finish: it is resumable) the spectrogram cache of the study's tracks. Clips already cached
 * are reused, so a second notebook, or the main job's full cache, makes this instant.
 */
export async function ensureStudyCache(
  cfg: StudyConfig,
  ds: FmaDataset,
  opts: { onProgress?: (p: import("../features/cache").CacheProgress) => void; silent?: boolean; workers?: number } = {},
): Promise<import("../features/cache").CacheSummary> {
  const { buildSpectrogramCache } = require("../features/cache") as typeof import("../features/cache");
  return buildSpectrogramCache({
    dataDir: cfg.dataDir,
    subset: ds.subset,
    cacheRoot: cfg.cacheRoot,
    trackIds: studyTrackIds(cfg, ds),
    ...studyCacheRequest(cfg),
    onProgress: opts.onProgress,
    silent: opts.silent ?? true,
    workers: opts.workers,
  });
}

/** The study's cache folder (throws, saying how to build it, when it does not exist yet). */
export function studyCacheDir(cfg: StudyConfig, ds: FmaDataset): string {
  const { findCache } = require("../features/cache") as typeof import("../features/cache");
  return findCache(cfg.dataDir, { ...studyCacheRequest(cfg), cacheRoot: cfg.cacheRoot, subset: ds.subset, features: true });
}
