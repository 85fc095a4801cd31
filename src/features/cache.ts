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
  SILENT_PEAK,
  ManifestWriter,
  cacheDirName,
  dequantizeDb,
  describeParamDifferences,
  readCacheManifest,
  removeStaleTempFilesDeep,
  repairManifest,
  type CacheJob,
  type CacheParams,
  type ManifestEntry,
} from "./cache-format";
import type { ClipOptions, FromWorker, ToWorker } from "./cache-worker";
import { CacheEntryError, checkBytes, repairCommand, sourceChange, sourceStat, verifyEntry, type EntryProblem } from "./cache-verify";
import {
  removeStaleTempFilesOfTracks,
  shardItems,
  shardLockFile,
  shardManifestFile,
  shardProblemsFile,
  type CacheShard,
} from "./cache-shards";
import type { ResampleQuality } from "../audio/resample";
import { audioPathFor, type DecoderName, type ResType } from "../audio/engine";
import { computeSettings } from "../native/settings";
import { defaultDatasetSubset, openDataset } from "../data/dataset";
import { applyKnownBadPolicy, type KnownBadClip, type KnownBadPolicy } from "../data/known-bad";
import type { Subset } from "../data/schema";
import { UsageError } from "../util/errors";
import { PROJECT_ROOT, writeFileAtomic, writeJsonAtomic } from "../util/fs";
import { shellCommand } from "../util/shell";
import { ProgressBar } from "../util/progress";
import { readJsonFileStrict } from "../util/text";
import { Rng } from "../util/random";

export * from "./cache-format";
export * from "./cache-verify";
export * from "./cache-shards";

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
  /** Wait this long after each clip (tests: so a run can be killed midway). Default 0. */
  clipDelayMs?: number;
  /** Only these tracks (default: every track of the subset). */
  trackIds?: number[];
  /** Only the index-th of count deterministic partitions of the tracks (see cache-shards.ts). */
  shard?: CacheShard;
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
  /** Finished entries whose files failed verification (missing, wrong size, wrong CRC32), recomputed now. */
  repaired: EntryProblem[];
  /** Failed entries retried because their source file appeared, vanished or changed. */
  retried: Array<{ trackId: number; why: string }>;
  /** Earlier entries without checksums, given them now (their size was right). */
  upgraded: number;
  /** Track ids stored short (padded) and silent (peak below SILENT_PEAK). */
  shortClips: number[];
  silentClips: number[];
  /** problems.tsv in the cache folder, listing every short, failed, silent and repaired clip (null: none). */
  problemsFile: string | null;
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

/** What a build would do: the cache folder, its parameters and the clips to cache (after the known-bad policy and the shard). */
export interface CacheBuildPlan {
  dir: string;
  params: CacheParams;
  jobs: CacheJob[];
  knownBadExcluded: KnownBadClip[];
}

/** Plan a build without computing anything (the Slurm launcher uses it to find incomplete shards). */
export function planSpectrogramCache(opts: Omit<BuildCacheOptions, "shard" | "onProgress">): CacheBuildPlan {
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
    throw new UsageError(`no audio folder for fma_${dataset.subset} under ${dataset.root}; run: ${shellCommand(["fmalab", "download", "--subset", dataset.subset, "--dir", opts.dataDir])}`);
  }
  const params = resolveCacheParams(dataset.root, dataset.subset, opts);
  const dir = path.join(path.resolve(opts.cacheRoot ?? defaultCacheRoot()), cacheDirName(params));
  return { dir, params, jobs, knownBadExcluded: kb.excluded };
}

/** Build (or finish) the cache of a dataset, or of one shard of it. Resolves when every track has a manifest entry. */
export async function buildSpectrogramCache(opts: BuildCacheOptions): Promise<CacheSummary> {
  const plan = planSpectrogramCache(opts);
  const jobs = opts.shard ? shardItems(plan.jobs, opts.shard) : plan.jobs;
  const summary = await runCacheJobs(plan.dir, plan.params, jobs, opts);
  summary.knownBadExcluded = plan.knownBadExcluded;
  return summary;
}

/** A manifest entry that needs no recomputing: failed (unless retrying), or its files are there at their recorded sizes. */
export function isCacheEntryFinished(dir: string, params: CacheParams, e: ManifestEntry | undefined, retryFailed = false): boolean {
  if (!e) return false;
  if (e.status === "failed") return !retryFailed;
  return verifyEntry(dir, e, params, false).problems.length === 0;
}

/** Shards (of `count`) with a clip still to compute, read from the cache's own manifests. */
export function incompleteShards(plan: CacheBuildPlan, count: number, retryFailed = false): number[] {
  const entries = readCacheManifest(plan.dir);
  const out: number[] = [];
  for (let index = 0; index < count; index++) {
    const jobs = shardItems(plan.jobs, { index, count });
    if (jobs.some((j) => !isCacheEntryFinished(plan.dir, plan.params, entries.get(j.trackId), retryFailed))) out.push(index);
  }
  return out;
}

interface RunOptions {
  workers?: number;
  shard?: CacheShard;
  retryFailed?: boolean;
  clipDelayMs?: number;
  onProgress?: (p: CacheProgress) => void;
  silent?: boolean;
}

/** Take a lock file (the cache's, or one shard's), or fail naming the live process that holds it. */
function acquireLock(dir: string, file: string): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
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

/** Create the cache folder with params.json, or check that an existing cache was built with the same parameters. */
function checkOrWriteParams(dir: string, params: CacheParams): void {
  fs.mkdirSync(dir, { recursive: true });
  const paramsFile = path.join(dir, PARAMS_FILE);
  if (fs.existsSync(paramsFile)) {
    const have = JSON.parse(fs.readFileSync(paramsFile, "utf8")) as CacheParams;
    const diffs = describeParamDifferences({ ...params, features: null }, { ...have, features: null } as unknown as Record<string, unknown>);
    if (diffs.length > 0) throw new UsageError(`cache ${dir} was built with other parameters:\n  - ${diffs.join("\n  - ")}`);
  } else {
    writeJsonAtomic(paramsFile, params);
  }
}

/** What a runCacheJobs call did, counted from every job's final manifest entry. */
function cacheSummary(run: {
  dir: string;
  params: CacheParams;
  jobs: CacheJob[];
  plan: CachePlan;
  short: number;
  staleTempFilesRemoved: number;
  problemsFile: string | null;
  elapsedS: number;
}): CacheSummary {
  const { jobs, plan, elapsedS } = run;
  let ok = 0;
  const failures: CacheSummary["failures"] = [];
  const shortClips: number[] = [];
  const silentClips: number[] = [];
  for (const j of jobs) {
    const e = plan.results.get(j.trackId)!;
    if (e.status === "ok") ok++;
    else if (e.status === "failed") failures.push({ trackId: e.trackId, reason: e.reason ?? "error", message: e.message ?? "" });
    if (e.status === "short") shortClips.push(e.trackId);
    if (e.silent) silentClips.push(e.trackId);
  }
  return {
    repaired: plan.repaired,
    retried: plan.retried,
    upgraded: plan.upgraded.length,
    shortClips,
    silentClips,
    problemsFile: run.problemsFile,
    dir: run.dir,
    params: run.params,
    total: jobs.length,
    ok,
    short: run.short,
    failed: failures.length,
    computed: plan.pending.length,
    reused: jobs.length - plan.pending.length,
    failures,
    knownBadExcluded: [],
    staleTempFilesRemoved: run.staleTempFilesRemoved,
    elapsedS,
    clipsPerS: elapsedS > 0 ? plan.pending.length / elapsedS : 0,
  };
}

/** The cache builder's core: run `jobs` into the cache at `dir` (created with `params` if new). */
export async function runCacheJobs(dir: string, params: CacheParams, jobs: CacheJob[], opts: RunOptions = {}): Promise<CacheSummary> {
  const started = Date.now();
  checkOrWriteParams(dir, params);
  // A shard touches only its own lock, manifest and temp files: other shards may be running.
  const release = acquireLock(dir, opts.shard ? shardLockFile(dir, opts.shard) : path.join(dir, "lock"));
  let writer: ManifestWriter | null = null;
  const workers: Worker[] = [];
  try {
    const staleTempFilesRemoved = opts.shard ? removeStaleTempFilesOfTracks(dir, jobs.map((j) => j.trackId)) : removeStaleTempFilesDeep(dir);
    const manifestFile = opts.shard ? shardManifestFile(dir, opts.shard) : path.join(dir, MANIFEST_FILE);
    repairManifest(manifestFile);
    const plan = planCacheJobs(dir, params, jobs, readCacheManifest(dir), opts.retryFailed === true);
    const { pending, results } = plan;
    const reused = jobs.length - pending.length;
    let failed = 0;
    let short = 0;
    for (const e of results.values()) {
      if (e.status === "failed") failed++;
      if (e.status === "short") short++;
    }
    writer = new ManifestWriter(manifestFile);
    for (const e of plan.upgraded) writer.append(e);
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
      for (const job of pending) record(await processClip(job, params, dir, { delayMs: opts.clipDelayMs }));
    } else if (pending.length > 0) {
      await runInWorkers(dir, params, pending, nWorkers, record, workers, { delayMs: opts.clipDelayMs });
    }
    bar.finish({ failed, short });

    const problemsFile = writeProblemsFile(dir, jobs.map((j) => results.get(j.trackId)!), plan.repaired, opts.shard ? shardProblemsFile(opts.shard) : "problems.tsv");
    return cacheSummary({ dir, params, jobs, plan, short, staleTempFilesRemoved, problemsFile, elapsedS: (Date.now() - started) / 1000 });
  } finally {
    writer?.close();
    await Promise.all(workers.map((w) => w.terminate()));
    release();
  }
}

interface CachePlan {
  pending: CacheJob[];
  /** Entries kept from earlier runs. */
  results: Map<number, ManifestEntry>;
  repaired: EntryProblem[];
  retried: Array<{ trackId: number; why: string }>;
  /** Earlier entries with checksums added (appended to the manifest). */
  upgraded: ManifestEntry[];
}

/**
 * Which jobs to run: those without an entry, finished entries whose files do not verify (size and
 * CRC32: read in full), and failed entries when retrying or when their source file changed.
 */
function planCacheJobs(dir: string, params: CacheParams, jobs: CacheJob[], existing: Map<number, ManifestEntry>, retryFailed: boolean): CachePlan {
  const plan: CachePlan = { pending: [], results: new Map(), repaired: [], retried: [], upgraded: [] };
  for (const job of jobs) {
    const e = existing.get(job.trackId);
    if (!e) {
      plan.pending.push(job);
    } else if (e.status === "failed") {
      const why = retryFailed ? null : sourceChange(e, job);
      if (retryFailed || why) {
        plan.pending.push(job);
        if (why) plan.retried.push({ trackId: job.trackId, why });
      } else plan.results.set(job.trackId, e);
    } else {
      const check = verifyEntry(dir, e, params, true);
      if (check.problems.length > 0) {
        plan.pending.push(job);
        plan.repaired.push(...check.problems);
      } else {
        const kept = check.upgraded ?? e;
        if (check.upgraded) plan.upgraded.push(check.upgraded);
        plan.results.set(job.trackId, kept);
      }
    }
  }
  return plan;
}

/** problems.tsv: every short, failed, silent and repaired clip of this run (removed when there are none). */
function writeProblemsFile(dir: string, entries: ManifestEntry[], repaired: EntryProblem[], name: string): string | null {
  // A shard writes its own (problems-shard-I-of-N.tsv): other shards write theirs at the same time.
  const file = path.join(dir, name);
  const clean = (t: string) => t.replace(/[\t\r\n]+/g, " ");
  const rows: string[] = [];
  for (const e of entries) {
    const id = String(e.trackId).padStart(6, "0");
    if (e.status === "failed") rows.push([id, "failed", e.reason ?? "error", clean(e.message ?? "")].join("\t"));
    if (e.status === "short") rows.push([id, "short", `${e.durationS ?? "?"} s`, ""].join("\t"));
    if (e.silent) rows.push([id, "silent", `peak below ${SILENT_PEAK}`, ""].join("\t"));
  }
  for (const p of repaired) rows.push([String(p.trackId).padStart(6, "0"), "repaired", p.kind, clean(`${p.file}: ${p.problem}`)].join("\t"));
  if (rows.length === 0) {
    fs.rmSync(file, { force: true });
    return null;
  }
  writeFileAtomic(file, ["track_id\tkind\treason\tmessage", ...rows].join("\n") + "\n");
  return file;
}

export interface CacheVerification {
  dir: string;
  params: CacheParams;
  /** Finished entries checked (ok or short). */
  checked: number;
  /** Entries recorded as failed (not checked: they have no files). */
  failed: number;
  damaged: EntryProblem[];
  /** The command that recomputes the damaged entries. */
  repair: string;
}

/** Check every finished entry of the cache at `dir` (size and CRC32), computing nothing. */
export function verifySpectrogramCache(dir: string, opts: { onProgress?: (done: number, total: number) => void } = {}): CacheVerification {
  const cache = new SpectrogramCache(dir);
  const finished = [...cache.entries.values()].filter((e) => e.status !== "failed");
  const damaged: EntryProblem[] = [];
  finished.forEach((e, i) => {
    damaged.push(...verifyEntry(cache.dir, e, cache.params, true).problems);
    opts.onProgress?.(i + 1, finished.length);
  });
  return {
    dir: cache.dir,
    params: cache.params,
    checked: finished.length,
    failed: cache.entries.size - finished.length,
    damaged,
    repair: repairCommand(cache.params, cache.dir),
  };
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
  clipOptions: ClipOptions,
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
        workerData: { kind: "fmalab-cache-worker", params, cacheDir: dir, clipOptions, compute: computeSettings() },
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
        finishOne({ trackId: job.trackId, status: "failed", reason: "worker-crash", message: `${job.path}: ${err.message}`, source: sourceStat(job.path) });
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
    this.params = readJsonFileStrict<CacheParams>(paramsFile, "cache parameters file");
    this.entries = readCacheManifest(this.dir);
  }

  /** The command that repairs this cache (recomputes entries whose files do not verify). */
  repairCommand(): string {
    return repairCommand(this.params, this.dir);
  }

  /**
   * Problems of a usable track's files: missing or wrong size (a stat each), and with `checksum` a
   * wrong CRC32 (reads them). [] when they verify.
   */
  verify(trackId: number, opts: { checksum?: boolean } = {}): EntryProblem[] {
    return verifyEntry(this.dir, this.entryFor(trackId), this.params, opts.checksum ?? false).problems;
  }

  /**
   * Throw a CacheEntryError naming the first damaged file among `trackIds` (and how many more) and the
   * repair command. Sizes only by default (a stat per file); `checksum` reads every file.
   */
  assertFilesVerify(trackIds: readonly number[], opts: { checksum?: boolean } = {}): void {
    const damaged = trackIds.filter((id) => this.verify(id, opts).length > 0);
    if (damaged.length > 0) throw new CacheEntryError(this.verify(damaged[0], opts)[0], this.repairCommand(), damaged.length - 1);
  }

  /** Bytes of a cache file, checked against the entry's size and CRC32; a CacheEntryError names the file. */
  private readChecked(trackId: number, rel: string, bytes: Buffer, want: { bytes: number; crc32?: string }): Buffer {
    const r = checkBytes(trackId, path.join(this.dir, rel), bytes, want);
    if (r.problem) throw new CacheEntryError(r.problem, this.repairCommand());
    return bytes;
  }

  private spectrogramWant(e: ManifestEntry): { bytes: number; crc32?: string } {
    return { bytes: e.bytes ?? 2 * this.nMels * this.nFrames, crc32: e.crc32 };
  }

  private readFileOf(trackId: number, rel: string): Buffer {
    try {
      return fs.readFileSync(path.join(this.dir, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem: EntryProblem = { trackId, file: path.join(this.dir, rel), kind: "missing", problem: code === "ENOENT" ? "missing" : `cannot be read (${code})` };
      throw new CacheEntryError(problem, this.repairCommand());
    }
  }

  private async readFileOfAsync(trackId: number, rel: string): Promise<Buffer> {
    try {
      return await fs.promises.readFile(path.join(this.dir, rel));
    } catch {
      return this.readFileOf(trackId, rel); // the same error, thrown synchronously
    }
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

  /** Spectrogram bytes (size and CRC32 checked) → dB. */
  private decode(trackId: number, bytes: Buffer, out?: Float32Array): Float32Array {
    const e = this.entryFor(trackId);
    const want = this.spectrogramWant(e);
    if (want.bytes !== 2 * this.nMels * this.nFrames) {
      const problem: EntryProblem = { trackId, file: path.join(this.dir, e.file), kind: "size", problem: `the manifest records ${want.bytes} bytes, the parameters need ${2 * this.nMels * this.nFrames}` };
      throw new CacheEntryError(problem, this.repairCommand());
    }
    return dequantizeDb(this.readChecked(trackId, e.file, bytes, want), this.params.storage.scale, out);
  }

  /** The dB spectrogram of one track (read from disk now, size and CRC32 checked). */
  get(trackId: number): CachedSpectrogram {
    const e = this.entryFor(trackId);
    const bytes = this.readFileOf(trackId, e.file);
    return { db: this.decode(trackId, bytes), nMels: this.nMels, nFrames: this.nFrames };
  }

  async getAsync(trackId: number): Promise<CachedSpectrogram> {
    const e = this.entryFor(trackId);
    const bytes = await this.readFileOfAsync(trackId, e.file);
    return { db: this.decode(trackId, bytes), nMels: this.nMels, nFrames: this.nFrames };
  }

  /** The clip features of one track (names: featureNames), or null when the cache has none. */
  features(trackId: number): Float32Array | null {
    const e = this.entryFor(trackId);
    if (!e.features) return null;
    const want = { bytes: e.featuresBytes ?? 4 * this.featureNames.length, crc32: e.featuresCrc32 };
    const buf = this.readChecked(trackId, e.features, this.readFileOf(trackId, e.features), want);
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
      const files = await Promise.all(ids.map((id) => this.readFileOfAsync(id, this.entryFor(id).file)));
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
    throw new UsageError(`spectrogram cache ${where} was built with other parameters:\n  - ${diffs.join("\n  - ")}\nrebuild with: ${shellCommand(["fmalab", "spectrograms", "--data", have.dataRoot, ...(have.subset ? ["--subset", have.subset] : [])])} (with the parameters you want)`);
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
      `\nbuild it with: ${shellCommand(["fmalab", "spectrograms", "--data", dataDir, ...(subset ? ["--subset", subset] : [])])}`,
  );
}
