// `npm run bench -- scale [--tracks N] [--slurm-tasks T] [--workers W] [--keep]`: a fma_small-scale
// rehearsal. Builds an FMA-layout dataset of N tracks (default 8,000) in the 8 fma_small genres, balanced,
// with official-style splits (80/10/10 per genre), from hard links to replicated real clips
// (../shared/fma-sample/audio) or, without them, 8 synthetic 30 s clips; precomputes its cache with every
// core; trains one epoch of mel_cnn4_128 on it (wasm, no test evaluation) and times a few steps of
// seed_v2_224 (bench train's child). Reports throughput, cache size and file count, peak RSS, and the
// hours projected for fma_small / fma_medium / fma_large: precompute, 30 epochs of each model, and the
// precompute with T Slurm tasks of 2 cores each (shards are independent: T× less wall time).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandArgs, intOption } from "../src/cli/command";
import { formatCsvRow } from "../src/data/csv";
import { formatTrackRow, tracksCsvHeaderRows } from "../src/data/tracks";
import { generateSyntheticDataset } from "../src/data/synth";
import { buildSpectrogramCache } from "../src/features/cache";
import { PROJECT_ROOT, sharedDir } from "../src/util/fs";
import { peakRssMb } from "./stats";

/** fma_small's 8 top genres (genre ids of the real genres.csv). */
const GENRES: Array<[string, number]> = [
  ["Electronic", 15],
  ["Experimental", 38],
  ["Folk", 17],
  ["Hip-Hop", 21],
  ["Instrumental", 1235],
  ["International", 2],
  ["Pop", 10],
  ["Rock", 12],
];
const FMA_CLIPS = { small: 8000, medium: 25000, large: 106574 };

/** Source mp3 clips: the real sample's, else 8 synthetic ones (30 s) rendered once into `work`. */
async function sourceClips(work: string): Promise<{ kind: string; files: string[] }> {
  const shared = sharedDir();
  const real = shared ? path.join(shared, "fma-sample", "audio") : null;
  if (real && fs.existsSync(real)) {
    const files = fs.readdirSync(real).filter((n) => /^\d{6}\.mp3$/.test(n)).sort().map((n) => path.join(real, n));
    if (files.length > 0) return { kind: `real fma_small clips (${files.length}, replicated)`, files };
  }
  const synth = path.join(work, "synthetic-sources");
  await generateSyntheticDataset(synth, { tracks: 8, duration: 30, progress: false });
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (/^\d{6}\.mp3$/.test(e.name)) files.push(path.join(d, e.name));
    }
  };
  walk(synth);
  return { kind: `synthetic 30 s clips (${files.length}, replicated)`, files: files.sort() };
}

/** Write DIR/fma_metadata/{tracks,genres}.csv and DIR/fma_small/NNN/NNNNNN.mp3 (hard links, else copies). */
function writeScaleDataset(dir: string, tracks: number, sources: string[]): { linked: number; copied: number } {
  const meta = path.join(dir, "fma_metadata");
  fs.mkdirSync(meta, { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, "src", "data", "synth", "genres.csv"), path.join(meta, "genres.csv"));
  const rows = tracksCsvHeaderRows().map((r) => formatCsvRow(r));
  let linked = 0;
  let copied = 0;
  const perGenre = Math.ceil(tracks / GENRES.length);
  for (let i = 0; i < tracks; i++) {
    const trackId = i + 1;
    const g = i % GENRES.length;
    const k = Math.floor(i / GENRES.length); // position within its genre
    const split = k < 0.8 * perGenre ? "training" : k < 0.9 * perGenre ? "validation" : "test";
    const [genre, genreId] = GENRES[g];
    rows.push(
      formatTrackRow(trackId, {
        "set.split": split,
        "set.subset": "small",
        "track.genre_top": genre,
        "track.genres": [genreId],
        "track.genres_all": [genreId],
        "track.title": `scale ${trackId}`,
        "artist.name": `artist ${k % 50}`,
      }),
    );
    const id = String(trackId).padStart(6, "0");
    const target = path.join(dir, "fma_small", id.slice(0, 3), `${id}.mp3`);
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const source = sources[i % sources.length];
    try {
      fs.linkSync(source, target);
      linked++;
    } catch {
      fs.copyFileSync(source, target);
      copied++;
    }
  }
  fs.writeFileSync(path.join(meta, "tracks.csv"), rows.join("\n") + "\n");
  return { linked, copied };
}

function duBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        bytes += fs.statSync(p).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/**
 * Seconds per training step of seed_v2_224 (wasm, 1 replica, batch 4), from bench train's child process.
 * Batch 4: a batch-8 step hit "memory access out of bounds" in the wasm heap here (2026-12-02).
 */
function seedStep(steps: number): { step_s: number | null; batch: number | null; peak_rss_mb: number | null; note?: string } {
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(__dirname, "main.ts"), "train", "--child", "--backends", "wasm", "--models", "seed_v2_224", "--steps", String(steps), "--replicas", "1", "--batch", "4"],
    { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 },
  );
  try {
    const r = JSON.parse(child.stdout.slice(child.stdout.indexOf("{"))) as Record<string, unknown>;
    const perSec = (r.train_examples_per_s ?? r.train_ex_per_s) as number | undefined;
    const batch = (r.batch as number) ?? null;
    const stepMs = (r.train_step_ms ?? r.train_step_median_ms) as number | undefined;
    const step_s = stepMs !== undefined ? stepMs / 1000 : perSec && batch ? batch / perSec : null;
    return { step_s, batch, peak_rss_mb: (r.peak_rss_mb as number) ?? null, note: step_s === null ? `unrecognised bench train output: ${Object.keys(r).join(", ")}` : undefined };
  } catch {
    return { step_s: null, batch: null, peak_rss_mb: null, note: `bench train child failed (exit ${child.status})` };
  }
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export async function run(argv: string[]): Promise<unknown> {
  const usage = "npm run bench -- scale [--tracks N (default 8000)] [--slurm-tasks T (default 16)] [--workers W] [--seed-steps S] [--keep]";
  const { values } = parseCommandArgs(argv, { tracks: { type: "string" }, "slurm-tasks": { type: "string" }, workers: { type: "string" }, "seed-steps": { type: "string" }, keep: { type: "boolean" } }, usage);
  const tracks = intOption(values.tracks as string | undefined, "tracks", 8000, 80);
  const slurmTasks = intOption(values["slurm-tasks"] as string | undefined, "slurm-tasks", 16);
  const workers = intOption(values.workers as string | undefined, "workers", os.cpus().length);
  const work = path.join(PROJECT_ROOT, "out", "bench", `scale-${tracks}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const log = (s: string) => process.stderr.write(`[bench scale] ${s}\n`);
  try {
    const sources = await sourceClips(work);
    const dataDir = path.join(work, "fma");
    let t = Date.now();
    const links = writeScaleDataset(dataDir, tracks, sources.files);
    const datasetS = (Date.now() - t) / 1000;
    log(`dataset: ${tracks} tracks from ${sources.kind} in ${datasetS.toFixed(1)} s; precomputing with ${workers} workers`);

    const cacheRoot = path.join(work, "cache");
    const cache = await buildSpectrogramCache({ dataDir, cacheRoot, workers, silent: false });
    const size = duBytes(cache.dir);
    log(`cache: ${cache.ok} ok, ${cache.failed} failed, ${cache.clipsPerS.toFixed(2)} clips/s; training one epoch of mel_cnn4_128`);

    const { trainModel } = await import("../src/train/train");
    t = Date.now();
    const record = await trainModel(
      { model: "mel_cnn4_128", data: dataDir, cacheDir: cacheRoot, runsDir: path.join(work, "runs"), runId: "scale-mel", epochs: 1, evaluateAtEnd: false, backend: "wasm", evalCrops: 1 },
      { progress: true },
    );
    const melEpochS = (Date.now() - t) / 1000;
    const trainTracks = record.metrics.length ? Math.round(0.8 * tracks) : 0;
    const seedSteps = intOption(values["seed-steps"] as string | undefined, "seed-steps", 3);
    log(`mel_cnn4_128 epoch ${melEpochS.toFixed(0)} s; timing ${seedSteps} steps of seed_v2_224`);
    const seed = seedStep(seedSteps);
    const seedEpochS = seed.step_s && seed.batch ? (trainTracks / seed.batch) * seed.step_s : null;

    const hours = (clips: number) => {
      const trainScale = (0.8 * clips) / Math.max(1, trainTracks);
      const precompute = clips / cache.clipsPerS / 3600;
      return {
        precompute_h: round(precompute),
        precompute_with_slurm_h: round(precompute / slurmTasks, 3),
        train_30_epochs_h: { mel_cnn4_128: round((30 * melEpochS * trainScale) / 3600), seed_v2_224: seedEpochS === null ? null : round((30 * seedEpochS * trainScale) / 3600) },
      };
    };
    return {
      suite: "scale",
      tracks,
      sources: sources.kind,
      links,
      dataset_s: round(datasetS),
      workers,
      precompute_clips_per_s: round(cache.clipsPerS, 3),
      precompute_s: round(cache.elapsedS, 1),
      cache_ok: cache.ok,
      cache_failed: cache.failed,
      cache_mb: round(size.bytes / 2 ** 20, 1),
      cache_files: size.files,
      train_epoch_s: { mel_cnn4_128: round(melEpochS, 1), seed_v2_224: seedEpochS === null ? null : round(seedEpochS, 1) },
      train_tracks: trainTracks,
      seed_v2_224_step: seed,
      peak_rss_mb: round(peakRssMb(), 0),
      slurm_tasks: slurmTasks,
      slurm_task_cores: 2,
      projected_fma_small_h: hours(FMA_CLIPS.small),
      projected_fma_medium_h: hours(FMA_CLIPS.medium),
      projected_fma_large_h: hours(FMA_CLIPS.large),
      note: `projections scale this run linearly: precompute by clips at ${workers} cores; an epoch by training tracks (80% of the clips); with ${slurmTasks} Slurm tasks of 2 cores the precompute shards run at once (T× less wall time); one training run is not split across tasks (a sweep runs T runs at once)`,
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      load_average: os.loadavg().map((x) => round(x)),
    };
  } finally {
    if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
  }
}
