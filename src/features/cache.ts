// The spectrogram cache: every clip of a dataset decoded once, turned into a log-mel dB image (int16
// files, see cache-format.ts) plus meyda clip features, in parallel worker threads, resumable after a
// kill at any moment. The reader serves single clips, feature tables and shuffled, cropped batches
// without loading the whole cache.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { DEFAULT_MEL_OPTIONS, frameCount, type MelOptions, type PowerToDbOptions } from "./melspec";
import { clipFeatureNames, DEFAULT_CLIP_FEATURE_OPTIONS } from "./meyda";
import {
  CACHE_FORMAT_VERSION,
  MANIFEST_FILE,
  PARAMS_FILE,
  ManifestWriter,
  cacheDirName,
  dequantizeDb,
  describeParamDifferences,
  readManifest,
  removeStaleTempFilesDeep,
  repairManifest,
  type CacheJob,
  type CacheParams,
  type ManifestEntry,
} from "./cache-format";
import type { FromWorker, ToWorker } from "./cache-worker";
import type { ResampleQuality } from "../audio/resample";
import { audioPathFor, type DecoderName, type ResType } from "../audio/engine";
import { computeSettings } from "../native/settings";
import { defaultDatasetSubset, openDataset } from "../data/dataset";
import { applyKnownBadPolicy, type KnownBadClip, type KnownBadPolicy } from "../data/known-bad";
import type { Subset } from "../data/schema";
import { UsageError } from "../util/errors";
import { PROJECT_ROOT, writeJsonAtomic } from "../util/fs";
import { ProgressBar } from "../util/progress";
import { Rng } from "../util/random";

export * from "./cache-format";

export interface CacheRequest {
  /** Mel options overriding DEFAULT_MEL_OPTIONS (librosa's: 22,050 Hz, 2048/512, 128 mels). */
  mel?: Partial<MelOptions>;
  /** power_to_db options. Default ref "max", amin 1e-10, topDb 80. */
  db?: PowerToDbOptions;
  /** Pad/crop every clip to this many seconds. Default 30. */
  clipSeconds?: number;
  /** Store meyda clip features too. Default true. */
  features?: boolean;
  /** Default 1 s: a clip decoding to less than clipSeconds − 1 s is "short". */
  shortToleranceS?: number;
  /** Older resampler name: "best" = the default res_type, "fast" = kaiser_fast. Default "best". */
  resampleQuality?: ResampleQuality;
  /** librosa res_type (soxr_hq, kaiser_best, kaiser_fast); wins over resampleQuality. Default soxr_hq (kaiser_best without libsoxr). */
  resType?: ResType;
}

export interface BuildCacheOptions extends CacheRequest {
  dataDir: string;
  /** Folder holding the caches. Default <project>/cache. */
  cacheRoot?: string;
  subset?: Subset;
  /** Worker threads; 0 runs in this thread. Default os.cpus().length. */
  workers?: number;
  /** Known-bad fma_small clips: "exclude" (default; listed in the summary) or "flag" (processed, marked). */
  knownBadPolicy?: KnownBadPolicy;
  /** Recompute clips recorded as failed by an earlier run. Default false. */
  retryFailed?: boolean;
  /** Only these tracks (default: every track of the subset). */
  trackIds?: number[];
  onProgress?: (p: CacheProgress) => void;
  /** No progress bar on stderr. */
  silent?: boolean;
}

export interface CacheProgress {
  done: number;
  total: number;
  failed: number;
  short: number;
  /** Clips per second in this run. */
  rate: number;
  etaS: number;
  last: ManifestEntry;
}

export interface CacheSummary {
  dir: string;
  params: CacheParams;
  /** Tracks asked for (after the known-bad policy). */
  total: number;
  ok: number;
  short: number;
  failed: number;
  /** Clips computed by this run / found finished from earlier runs. */
  computed: number;
  reused: number;
  failures: Array<{ trackId: number; reason: string; message: string }>;
  knownBadExcluded: KnownBadClip[];
  staleTempFilesRemoved: number;
  elapsedS: number;
  /** Clips per second computed by this run. */
  clipsPerS: number;
}

/** Full cache parameters for a request (defaults filled in). */
export function resolveCacheParams(dataRoot: string, subset: Subset | null, req: CacheRequest = {}): CacheParams {
  const mel: MelOptions = { ...DEFAULT_MEL_OPTIONS, ...(req.mel ?? {}) };
  if (mel.winLength === undefined) mel.winLength = mel.nFft;
  const db: Required<PowerToDbOptions> = { ref: "max", amin: 1e-10, topDb: 80, ...(req.db ?? {}) };
  const clipSeconds = req.clipSeconds ?? 30;
  if (!(clipSeconds > 0)) throw new UsageError(`clipSeconds must be > 0, got ${clipSeconds}`);
  const nFrames = frameCount(Math.round(clipSeconds * mel.sr), mel.nFft, mel.hopLength, mel.center);
  const featureOpts = { ...DEFAULT_CLIP_FEATURE_OPTIONS, frameLength: mel.nFft, hopLength: mel.hopLength };
  const pow2 = (mel.nFft & (mel.nFft - 1)) === 0;
  if (req.features !== false && !pow2) throw new UsageError(`clip features need a power-of-two nFft, got ${mel.nFft} (or turn features off)`);
  return {
    formatVersion: CACHE_FORMAT_VERSION,
    dataRoot: path.resolve(dataRoot),
    subset,
    mel,
    db,
    clipSeconds,
    nFrames,
    shortToleranceS: req.shortToleranceS ?? 1,
    resampleQuality: req.resampleQuality ?? (req.resType === "kaiser_fast" ? "fast" : "best"),
    ...cacheAudioPath(req),
    storage: { dtype: "int16", scale: 100, endianness: "little" },
    features:
      req.features === false
        ? null
        : { extractor: "meyda", frameLength: featureOpts.frameLength, hopLength: featureOpts.hopLength, names: clipFeatureNames(featureOpts) },
  };
}

/** The decoder and resampler a request gets here (computeSettings().audio decides native or WASM). */
function cacheAudioPath(req: CacheRequest): { decoder: DecoderName; resampler: ResType } {
  const requested = req.resType ?? (req.resampleQuality === "fast" ? "kaiser_fast" : undefined);
  return audioPathFor(requested);
}

function defaultCacheRoot(): string {
  return path.join(PROJECT_ROOT, "cache");
}

/** Build (or finish) the cache of a dataset. Resolves when every track has a manifest entry. */
export async function buildSpectrogramCache(opts: BuildCacheOptions): Promise<CacheSummary> {
  const dataset = openDataset(opts.dataDir, { subset: opts.subset });
  const policy = opts.knownBadPolicy ?? "exclude";
  let records = dataset.tracks.records;
  if (opts.trackIds) {
    const wanted = new Set(opts.trackIds);
    records = records.filter((r) => wanted.has(r.trackId));
  }
  const kb = applyKnownBadPolicy(records, policy);
  const flagged = new Map(kb.flagged.map((c) => [c.trackId, c.problem] as const));
  const jobs: CacheJob[] = kb.kept.map((r) => {
    const job: CacheJob = { trackId: r.trackId, path: dataset.audioDir === null ? "" : dataset.audioPathOf(r.trackId) };
    const problem = flagged.get(r.trackId);
    if (problem) job.knownBad = problem;
    return job;
  });
  if (dataset.audioDir === null) {
    throw new UsageError(`no audio folder for fma_${dataset.subset} under ${dataset.root}; run: fmalab download --subset ${dataset.subset} --dir ${opts.dataDir}`);
  }
  const params = resolveCacheParams(dataset.root, dataset.subset, opts);
  const dir = path.join(path.resolve(opts.cacheRoot ?? defaultCacheRoot()), cacheDirName(params));
  const summary = await runCacheJobs(dir, params, jobs, opts);
  summary.knownBadExcluded = kb.excluded;
  return summary;
}

interface RunOptions {
  workers?: number;
  retryFailed?: boolean;
  onProgress?: (p: CacheProgress) => void;
  silent?: boolean;
}

/** Take the cache's lock file, or fail naming the live process that holds it. */
function acquireLock(dir: string): () => void {
  const file = path.join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }) + "\n", { flag: "wx" });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch {
        /* unreadable: stale */
      }
      if (holder.pid && holder.pid !== process.pid && holder.host === os.hostname() && processAlive(holder.pid)) {
        throw new UsageError(`cache ${dir} is being written by process ${holder.pid}; wait for it or stop it (its lock: ${file})`);
      }
      fs.rmSync(file, { force: true }); // left by a killed run
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The cache builder's core: run `jobs` into the cache at `dir` (created with `params` if new). */
export async function runCacheJobs(dir: string, params: CacheParams, jobs: CacheJob[], opts: RunOptions = {}): Promise<CacheSummary> {
  const started = Date.now();
  fs.mkdirSync(dir, { recursive: true });
  const paramsFile = path.join(dir, PARAMS_FILE);
  if (fs.existsSync(paramsFile)) {
    const have = JSON.parse(fs.readFileSync(paramsFile, "utf8")) as CacheParams;
    const diffs = describeParamDifferences({ ...params, features: null }, { ...have, features: null } as unknown as Record<string, unknown>);
    if (diffs.length > 0) throw new UsageError(`cache ${dir} was built with other parameters:\n  - ${diffs.join("\n  - ")}`);
  } else {
    writeJsonAtomic(paramsFile, params);
  }
  const release = acquireLock(dir);
  let writer: ManifestWriter | null = null;
  const workers: Worker[] = [];
  try {
    const staleTempFilesRemoved = removeStaleTempFilesDeep(dir);
    const manifestFile = path.join(dir, MANIFEST_FILE);
    const existing = repairManifest(manifestFile).entries;
    const finished = (e: ManifestEntry | undefined): boolean => {
      if (!e) return false;
      if (e.status === "failed") return !opts.retryFailed;
      if (!e.file || !fs.existsSync(path.join(dir, e.file))) return false;
      return !params.features || (e.features !== undefined && fs.existsSync(path.join(dir, e.features)));
    };
    const pending = jobs.filter((j) => !finished(existing.get(j.trackId)));
    const reused = jobs.length - pending.length;
    const results = new Map<number, ManifestEntry>();
    for (const j of jobs) {
      const e = existing.get(j.trackId);
      if (e && finished(e)) results.set(j.trackId, e);
    }
    let failed = 0;
    let short = 0;
    for (const e of results.values()) {
      if (e.status === "failed") failed++;
      if (e.status === "short") short++;
    }
    writer = new ManifestWriter(manifestFile);
    const bar = new ProgressBar({ total: jobs.length, initial: reused, label: "spectrograms", unit: "clips", silent: opts.silent });
    bar.setFields({ failed, short });
    const record = (entry: ManifestEntry): void => {
      writer!.append(entry);
      results.set(entry.trackId, entry);
      if (entry.status === "failed") failed++;
      if (entry.status === "short") short++;
      bar.tick(1, { failed, short });
      if (opts.onProgress) {
        const rate = bar.rate();
        opts.onProgress({ done: bar.value, total: jobs.length, failed, short, rate, etaS: rate > 0 ? (jobs.length - bar.value) / rate : Infinity, last: entry });
      }
    };

    const nWorkers = Math.min(opts.workers ?? os.cpus().length, pending.length);
    if (pending.length > 0 && nWorkers <= 0) {
      const { processClip } = await import("./cache-worker");
      for (const job of pending) record(await processClip(job, params, dir));
    } else if (pending.length > 0) {
      await runInWorkers(dir, params, pending, nWorkers, record, workers);
    }
    bar.finish({ failed, short });

    let ok = 0;
    const failures: CacheSummary["failures"] = [];
    for (const j of jobs) {
      const e = results.get(j.trackId)!;
      if (e.status === "ok") ok++;
      else if (e.status === "failed") failures.push({ trackId: e.trackId, reason: e.reason ?? "error", message: e.message ?? "" });
    }
    const elapsedS = (Date.now() - started) / 1000;
    return {
      dir,
      params,
      total: jobs.length,
      ok,
      short,
      failed: failures.length,
      computed: pending.length,
      reused,
      failures,
      knownBadExcluded: [],
      staleTempFilesRemoved,
      elapsedS,
      clipsPerS: elapsedS > 0 ? pending.length / elapsedS : 0,
    };
  } finally {
    writer?.close();
    await Promise.all(workers.map((w) => w.terminate()));
    release();
  }
}

/** Path of the worker entry (a .cjs that registers tsx, so it works from tsx, node --import and tslab). */
function workerEntry(): string {
  const beside = path.join(__dirname, "cache-worker.cjs");
  if (fs.existsSync(beside)) return beside;
  return path.join(PROJECT_ROOT, "src", "features", "cache-worker.cjs");
}

function runInWorkers(
  dir: string,
  params: CacheParams,
  pending: CacheJob[],
  nWorkers: number,
  record: (e: ManifestEntry) => void,
  workers: Worker[],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let outstanding = pending.length;
    let settled = false;
    const inFlight = new Map<Worker, CacheJob>();
    const fail = (err: Error): void => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const feed = (w: Worker): void => {
      if (next < pending.length) {
        const job = pending[next++];
        inFlight.set(w, job);
        w.postMessage({ type: "job", job } satisfies ToWorker);
      } else {
        inFlight.delete(w);
        w.postMessage({ type: "stop" } satisfies ToWorker);
      }
    };
    const finishOne = (entry: ManifestEntry): void => {
      try {
        record(entry);
      } catch (err) {
        fail(err as Error);
        return;
      }
      outstanding--;
      if (outstanding === 0 && !settled) {
        settled = true;
        resolve();
      }
    };
    const start = (): void => {
      const w = new Worker(workerEntry(), {
        execArgv: [],
        workerData: { kind: "fmalab-cache-worker", params, cacheDir: dir, compute: computeSettings() },
      });
      workers.push(w);
      w.on("message", (msg: FromWorker) => {
        if (msg.type === "ready") feed(w);
        else if (msg.type === "done") {
          inFlight.delete(w);
          finishOne(msg.entry);
          if (!settled) feed(w);
        }
      });
      const crashed = (err: Error): void => {
        // A crash (e.g. out of memory) fails the clip it was on; a fresh worker takes over.
        const job = inFlight.get(w);
        inFlight.delete(w);
        if (settled) return;
        if (!job) {
          fail(new Error(`spectrogram worker failed to start: ${err.message}`));
          return;
        }
        finishOne({ trackId: job.trackId, status: "failed", reason: "worker-crash", message: `${job.path}: ${err.message}` });
        if (!settled && next < pending.length) start();
      };
      w.on("error", crashed);
      w.on("exit", (code) => {
        if (inFlight.has(w)) crashed(new Error(`worker exited with code ${code}`));
      });
    };
    for (let i = 0; i < nWorkers; i++) start();
  });
}

// ---------------------------------------------------------------- reader

export interface CachedSpectrogram {
  /** dB, nMels × nFrames row-major. */
  db: Float32Array;
  nMels: number;
  nFrames: number;
}

export interface SpectrogramBatch {
  trackIds: number[];
  /** batch × nMels × nFrames, dB. */
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

export interface StreamOptions {
  batchSize: number;
  /** Shuffle the order with this generator (or seed). */
  shuffle?: Rng | number;
  /** Crop each clip to `frames` frames: a random window (random, drawn from the shuffle/seed generator) or the centre. */
  crop?: { frames: number; random?: boolean; seed?: number };
  /** Drop a last, smaller batch. Default false. */
  dropLast?: boolean;
}

export class SpectrogramCache {
  readonly dir: string;
  readonly params: CacheParams;
  /** Latest entry per track. */
  readonly entries: Map<number, ManifestEntry>;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    const paramsFile = path.join(this.dir, PARAMS_FILE);
    if (!fs.existsSync(paramsFile)) throw new UsageError(`${this.dir} is not a spectrogram cache (no ${PARAMS_FILE}); build one with: fmalab spectrograms --data DIR`);
    this.params = JSON.parse(fs.readFileSync(paramsFile, "utf8")) as CacheParams;
    this.entries = readManifest(path.join(this.dir, MANIFEST_FILE)).entries;
  }

  get nMels(): number {
    return this.params.mel.nMels;
  }
  get nFrames(): number {
    return this.params.nFrames;
  }
  get featureNames(): string[] {
    return this.params.features?.names ?? [];
  }

  /** Track ids with a usable spectrogram ("ok" or "short"), or those passing `filter`; ascending. */
  trackIds(filter?: (e: ManifestEntry) => boolean): number[] {
    const keep = filter ?? ((e: ManifestEntry) => e.status !== "failed");
    return [...this.entries.values()].filter(keep).map((e) => e.trackId).sort((a, b) => a - b);
  }

  /** Entries recorded as failed. */
  failures(): ManifestEntry[] {
    return [...this.entries.values()].filter((e) => e.status === "failed");
  }

  has(trackId: number): boolean {
    const e = this.entries.get(trackId);
    return !!e && e.status !== "failed" && !!e.file;
  }

  private entryFor(trackId: number): ManifestEntry & { file: string } {
    const e = this.entries.get(trackId);
    if (!e) throw new UsageError(`track ${trackId} is not in the spectrogram cache ${this.dir}`);
    if (e.status === "failed" || !e.file) throw new UsageError(`track ${trackId} failed when the cache was built (${e.reason}): ${e.message ?? ""}`);
    return e as ManifestEntry & { file: string };
  }

  private decode(trackId: number, bytes: Uint8Array, out?: Float32Array): Float32Array {
    const n = this.nMels * this.nFrames;
    if (bytes.byteLength !== 2 * n) {
      throw new Error(`${path.join(this.dir, this.entryFor(trackId).file)}: ${bytes.byteLength} bytes, expected ${2 * n} (${this.nMels}×${this.nFrames} int16)`);
    }
    return dequantizeDb(bytes, this.params.storage.scale, out);
  }

  /** The dB spectrogram of one track (read from disk now). */
  get(trackId: number): CachedSpectrogram {
    const e = this.entryFor(trackId);
    const bytes = fs.readFileSync(path.join(this.dir, e.file));
    return { db: this.decode(trackId, bytes), nMels: this.nMels, nFrames: this.nFrames };
  }

  async getAsync(trackId: number): Promise<CachedSpectrogram> {
    const e = this.entryFor(trackId);
    const bytes = await fs.promises.readFile(path.join(this.dir, e.file));
    return { db: this.decode(trackId, bytes), nMels: this.nMels, nFrames: this.nFrames };
  }

  /** The clip features of one track (names: featureNames), or null when the cache has none. */
  features(trackId: number): Float32Array | null {
    const e = this.entryFor(trackId);
    if (!e.features) return null;
    const buf = fs.readFileSync(path.join(this.dir, e.features));
    const copy = new Uint8Array(buf.byteLength);
    copy.set(buf);
    return new Float32Array(copy.buffer);
  }

  /** Features of many tracks as one row-major matrix (rows in `trackIds` order). */
  featureMatrix(trackIds: number[] = this.trackIds()): { names: string[]; trackIds: number[]; values: Float32Array } {
    const names = this.featureNames;
    if (names.length === 0) throw new UsageError(`cache ${this.dir} was built without features (--no-features)`);
    const values = new Float32Array(trackIds.length * names.length);
    trackIds.forEach((id, i) => {
      const f = this.features(id);
      if (!f || f.length !== names.length) throw new Error(`track ${id}: features file has ${f?.length ?? 0} values, expected ${names.length}`);
      values.set(f, i * names.length);
    });
    return { names, trackIds: [...trackIds], values };
  }

  /**
   * Batches of spectrograms, read from disk as they are needed (one batch ahead), so memory stays
   * at about two batches whatever the cache size.
   */
  async *stream(trackIds: number[], opts: StreamOptions): AsyncGenerator<SpectrogramBatch> {
    const { batchSize } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`stream: batchSize must be a positive integer, got ${batchSize}`);
    for (const id of trackIds) this.entryFor(id);
    const order = [...trackIds];
    const rng = opts.shuffle === undefined ? null : typeof opts.shuffle === "number" ? new Rng(opts.shuffle) : opts.shuffle;
    if (rng) rng.shuffle(order);
    const cropFrames = opts.crop ? opts.crop.frames : this.nFrames;
    if (!Number.isInteger(cropFrames) || cropFrames < 1 || cropFrames > this.nFrames) {
      throw new RangeError(`stream: crop.frames must be in 1…${this.nFrames}, got ${cropFrames}`);
    }
    const cropRng = opts.crop?.random ? (rng ?? new Rng(opts.crop.seed ?? 0)) : null;
    const nMels = this.nMels;
    const full = this.nFrames;
    const load = async (ids: number[]): Promise<SpectrogramBatch> => {
      const files = await Promise.all(ids.map((id) => fs.promises.readFile(path.join(this.dir, this.entryFor(id).file))));
      const data = new Float32Array(ids.length * nMels * cropFrames);
      const clip = new Float32Array(nMels * full);
      files.forEach((bytes, b) => {
        this.decode(ids[b], bytes, clip);
        const start = cropFrames === full ? 0 : cropRng ? cropRng.int(0, full - cropFrames) : Math.floor((full - cropFrames) / 2);
        const base = b * nMels * cropFrames;
        for (let m = 0; m < nMels; m++) data.set(clip.subarray(m * full + start, m * full + start + cropFrames), base + m * cropFrames);
      });
      return { trackIds: ids, data, nMels, nFrames: cropFrames };
    };
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += batchSize) {
      const ids = order.slice(i, i + batchSize);
      if (ids.length < batchSize && opts.dropLast) break;
      batches.push(ids);
    }
    // One batch read ahead. If the consumer stops early, a failure of that read must not surface as
    // an unhandled rejection: a no-op handler is attached; awaiting it still throws.
    const prefetch = (i: number): Promise<SpectrogramBatch> | null => {
      if (i >= batches.length) return null;
      const p = load(batches[i]);
      p.catch(() => undefined);
      return p;
    };
    let ahead = prefetch(0);
    for (let i = 0; i < batches.length; i++) {
      const current = await ahead!;
      ahead = prefetch(i + 1);
      yield current;
    }
  }
}

/** Open a cache folder; with `expect`, refuse one built with other parameters (naming each difference). */
export function openSpectrogramCache(dir: string, opts: { expect?: CacheRequest } = {}): SpectrogramCache {
  const cache = new SpectrogramCache(dir);
  if (opts.expect) assertCacheMatches(cache.params, opts.expect, cache.dir);
  return cache;
}

/** Throw a UsageError listing how `have` differs from what `req` asks for. */
export function assertCacheMatches(have: CacheParams, req: CacheRequest, where: string): void {
  const want = resolveCacheParams(have.dataRoot, have.subset, { ...req, features: req.features ?? have.features !== null });
  const strip = (p: CacheParams) => ({ mel: p.mel, db: p.db, clipSeconds: p.clipSeconds, resampler: p.resampler, decoder: p.decoder, storage: p.storage, formatVersion: p.formatVersion, features: p.features ? p.features.extractor : null });
  const diffs = describeParamDifferences(strip(want) as unknown as Record<string, unknown>, strip(have) as unknown as Record<string, unknown>);
  if (diffs.length > 0) {
    throw new UsageError(`spectrogram cache ${where} was built with other parameters:\n  - ${diffs.join("\n  - ")}\nrebuild with: fmalab spectrograms --data ${have.dataRoot}${have.subset ? ` --subset ${have.subset}` : ""} (with the parameters you want)`);
  }
}

/**
 * The cache folder for a dataset and parameters (the one buildSpectrogramCache would write). Throws a
 * UsageError when it does not exist, listing caches of the same dataset built with other parameters.
 */
export function findCache(dataDir: string, req: CacheRequest & { cacheRoot?: string; subset?: Subset } = {}): string {
  const root = path.resolve(dataDir);
  const cacheRoot = path.resolve(req.cacheRoot ?? defaultCacheRoot());
  const subset = req.subset ?? defaultDatasetSubset(root);
  const params = resolveCacheParams(root, subset, req);
  const dir = path.join(cacheRoot, cacheDirName(params));
  if (fs.existsSync(path.join(dir, PARAMS_FILE))) return dir;
  // Same parameters but the other features setting is acceptable when features were not asked for.
  if (req.features === undefined) {
    const other = path.join(cacheRoot, cacheDirName(resolveCacheParams(root, subset, { ...req, features: false })));
    if (fs.existsSync(path.join(other, PARAMS_FILE))) return other;
  }
  const prefix = cacheDirName(params).replace(/-[0-9a-f]{12}$/, "-");
  const others = fs.existsSync(cacheRoot) ? fs.readdirSync(cacheRoot).filter((n) => n.startsWith(prefix)) : [];
  const lines = others.map((n) => {
    try {
      const have = JSON.parse(fs.readFileSync(path.join(cacheRoot, n, PARAMS_FILE), "utf8")) as CacheParams;
      if (have.dataRoot !== root) return `${n}: another data folder (${have.dataRoot})`;
      const strip = (p: CacheParams) => ({ mel: p.mel, db: p.db, clipSeconds: p.clipSeconds, resampler: p.resampler, decoder: p.decoder });
      return `${n}: ${describeParamDifferences(strip(params) as unknown as Record<string, unknown>, strip(have) as unknown as Record<string, unknown>).join("; ") || "features setting differs"}`;
    } catch {
      return `${n}: unreadable params.json`;
    }
  });
  throw new UsageError(
    `no spectrogram cache for ${root} (subset ${subset ?? "all"}) with these parameters in ${cacheRoot}` +
      (lines.length ? `; caches with other parameters:\n  - ${lines.join("\n  - ")}` : "") +
      `\nbuild it with: fmalab spectrograms --data ${dataDir}${subset ? ` --subset ${subset}` : ""}`,
  );
}

// ---------------------------------------------------------------- bench

/**
 * Clips per second of a fresh cache build over the mp3 files in `clipsDir` (flat NNNNNN.mp3 or nested
 * NNN/NNNNNN.mp3), with `workers` threads, features included. The cache goes to a temp folder, removed after.
 */
export async function benchCacheThroughput(clipsDir: string, workers: number): Promise<number> {
  const jobs: CacheJob[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^\d{6}\.mp3$/i.test(e.name)) jobs.push({ trackId: Number(e.name.slice(0, 6)), path: p });
    }
  };
  walk(clipsDir);
  if (jobs.length === 0) throw new UsageError(`no NNNNNN.mp3 clips under ${clipsDir}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cache-bench-"));
  try {
    const params = resolveCacheParams(clipsDir, null, {});
    const summary = await runCacheJobs(path.join(tmp, cacheDirName(params)), params, jobs, { workers, silent: true });
    return summary.clipsPerS;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
