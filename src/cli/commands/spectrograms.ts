// `fmalab spectrograms`: build (or finish) the log-mel spectrogram cache of a dataset, in parallel,
// resumable. Exit status 0 when every clip is cached, 3 when some clips failed (the cache is still
// usable: failed clips are listed in the manifest and skipped by readers), 2 for usage errors.
import * as os from "node:os";
import { RES_TYPES, type ResType } from "../../audio/engine";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  buildSpectrogramCache,
  parseShard,
  type BuildCacheOptions,
  findCache,
  PARAMS_FILE,
  repairCommand,
  verifySpectrogramCache,
  type CacheRequest,
  type CacheSummary,
} from "../../features/cache";
import { SUBSETS, type Subset } from "../../data/schema";
import type { KnownBadPolicy } from "../../data/known-bad";

/** Exit status when the run finished but some clips could not be decoded. */
export const EXIT_SOME_CLIPS_FAILED = 3;
/** Exit status of --verify when some entries' files are missing, short or damaged. */
export const EXIT_CACHE_DAMAGED = 4;

/** At most this many clips are named per kind on the terminal; problems.tsv lists all. */
const LISTED = 20;

const usage = `Usage: fmalab spectrograms [--data DIR] [--subset small|medium|large] [--workers N] [--cache DIR]
                           [--clip-seconds S] [--short-tolerance S] [--n-mels N] [--no-features] [--known-bad exclude|flag]
                           [--retry-failed] [--res-type soxr_hq|kaiser_best|kaiser_fast] [--verify] [--shard I/N] [--quiet]

Decodes every clip of the subset once (22,050 Hz mono), pads/crops it to --clip-seconds, and stores its
log-mel spectrogram (librosa defaults: n_fft 2048, hop 512, 128 mels, power_to_db ref=max, top_db 80) as
int16 dB×100 in CACHE/<dataset>-<subset>-<hash>/, plus meyda clip features (FMA's 7 statistics).

  --data DIR          dataset folder (default: $FMA_DIR, else data/fma)
  --subset NAME       ${SUBSETS.join(", ")} (default: the smallest one present)
  --workers N         worker threads (default: ${os.cpus().length}, the number of CPUs; 0 = this thread)
  --cache DIR         cache root (default: <project>/cache)
  --clip-seconds S    clip length after padding/cropping (default 30)
  --short-tolerance S a clip decoding to less than clip-seconds − S is marked "short" (default 1)
  --n-mels N          mel bands (default 128)
  --no-features       spectrograms only
  --known-bad MODE    known-bad fma_small clips: exclude (default) or flag (process and mark them)
  --retry-failed      recompute clips an earlier run recorded as failed (those whose mp3 appeared or
                      changed since are retried anyway)
  --verify            check every cached file (size, CRC32) against the manifest; compute nothing
  --res-type NAME     resampler, by librosa's res_type names: soxr_hq (default, librosa's default; libsoxr,
                      else kaiser_best with a notice), kaiser_best, kaiser_fast (each a different cache)
  --fast-resample     the same as --res-type kaiser_fast
  --shard I/N         only the I-th of N deterministic partitions of the tracks (0 ≤ I < N); shards
                      may run at once, on other machines, into one cache (fmalab slurm spectrograms)
  --quiet             no progress bar

Resumable: stop it at any time (Ctrl-C, kill -9) and run the same command again; finished clips are not
recomputed, but every cached file is checked (size, CRC32) and a missing, short or damaged one is
recomputed ("repaired"). Short, failed, silent and repaired clips are listed in CACHE/.../problems.tsv.
Exit status: 0 all clips cached, ${EXIT_SOME_CLIPS_FAILED} some clips failed (listed; the cache is usable), 2 bad usage,
${EXIT_CACHE_DAMAGED} --verify found damaged entries.`;

/** The options of `fmalab spectrograms` (also taken by `fmalab slurm spectrograms`). */
export const SPECTROGRAM_OPTIONS = {
  data: { type: "string" },
  subset: { type: "string" },
  workers: { type: "string" },
  cache: { type: "string" },
  "clip-seconds": { type: "string" },
  "n-mels": { type: "string" },
  "short-tolerance": { type: "string" },
  "no-features": { type: "boolean" },
  "known-bad": { type: "string" },
  "retry-failed": { type: "boolean" },
  "fast-resample": { type: "boolean" },
  "res-type": { type: "string" },
  verify: { type: "boolean" },
  shard: { type: "string" },
  quiet: { type: "boolean" },
} as const;

type SpectrogramValues = { [K in keyof typeof SPECTROGRAM_OPTIONS]?: (typeof SPECTROGRAM_OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

/** Checked build options from parsed `fmalab spectrograms` flags. */
function resTypeFromValues(values: SpectrogramValues): ResType | undefined {
  const resType = values["res-type"] ?? (values["fast-resample"] ? "kaiser_fast" : undefined);
  if (resType !== undefined && !(RES_TYPES as readonly string[]).includes(resType)) {
    throw new UsageError(`--res-type must be one of ${RES_TYPES.join(", ")}, got "${resType}"`);
  }
  return resType as ResType | undefined;
}

export function cacheOptionsFromValues(values: SpectrogramValues, dataDefault: string): BuildCacheOptions {
  const dataDir = values.data ?? dataDefault;
  if (values.subset !== undefined && !(SUBSETS as readonly string[]).includes(values.subset)) {
    throw new UsageError(`unknown --subset "${values.subset}": expected one of ${SUBSETS.join(", ")}`);
  }
  const clipSeconds = values["clip-seconds"] === undefined ? 30 : Number(values["clip-seconds"]);
  if (!(clipSeconds > 0)) throw new UsageError(`--clip-seconds must be a number > 0, got "${values["clip-seconds"]}"`);
  const shortToleranceS = values["short-tolerance"] === undefined ? 1 : Number(values["short-tolerance"]);
  if (!(shortToleranceS >= 0)) throw new UsageError(`--short-tolerance must be a number ≥ 0, got "${values["short-tolerance"]}"`);
  const knownBad = values["known-bad"] ?? "exclude";
  if (knownBad !== "exclude" && knownBad !== "flag") throw new UsageError(`--known-bad must be exclude or flag, got "${knownBad}"`);
  return {
    dataDir,
    subset: values.subset as Subset | undefined,
    workers: intOption(values.workers, "workers", os.cpus().length, 0),
    cacheRoot: values.cache,
    clipSeconds,
    shortToleranceS,
    mel: values["n-mels"] === undefined ? undefined : { nMels: intOption(values["n-mels"], "n-mels", 128) },
    features: !values["no-features"],
    knownBadPolicy: knownBad as KnownBadPolicy,
    retryFailed: values["retry-failed"] === true,
    resType: resTypeFromValues(values),
    shard: values.shard === undefined ? undefined : parseShard(values.shard),
    silent: values.quiet === true,
  };
}

export const command: CliCommand = {
  name: "spectrograms",
  summary: "build the resumable, parallel log-mel spectrogram + feature cache",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(argv, SPECTROGRAM_OPTIONS, usage);
    const options = cacheOptionsFromValues(values, process.env.FMA_DIR ?? "data/fma");
    if (values.verify) {
      if (options.shard) throw new UsageError("--verify checks the whole cache; drop --shard");
      return verify(options, values.cache);
    }
    const summary = await buildSpectrogramCache(options);
    const lines = summaryLines(summary, options.retryFailed === true);
    if (options.shard) lines[0] += ` (shard ${options.shard.index}/${options.shard.count})`;
    console.log(lines.join("\n"));
    return summary.failed > 0 ? EXIT_SOME_CLIPS_FAILED : 0;
  },
};

function clipId(trackId: number): string {
  return String(trackId).padStart(6, "0");
}

/** `items` joined, at most LISTED of them, then how many more. */
function listed<T>(items: T[], show: (x: T) => string): string {
  const head = items.slice(0, LISTED).map(show).join(", ");
  return items.length > LISTED ? `${head}, … ${items.length - LISTED} more` : head;
}

/** The run's summary: counts, then every repaired, retried, short, silent and failed clip (or the file listing them). */
export function summaryLines(summary: CacheSummary, retryFailed: boolean): string[] {
  const lines = [
    `cache: ${summary.dir} (decoder ${summary.params.decoder}, resampler ${summary.params.resampler})`,
    `clips: ${summary.total} (ok ${summary.ok}, short ${summary.short}, failed ${summary.failed}); computed now ${summary.computed}, from earlier runs ${summary.reused}` +
      `; repaired ${new Set(summary.repaired.map((p) => p.trackId)).size}` +
      (summary.computed > 0 ? `; ${summary.clipsPerS.toFixed(2)} clips/s` : ""),
  ];
  if (summary.staleTempFilesRemoved > 0) lines.push(`removed ${summary.staleTempFilesRemoved} temp file(s) left by an interrupted run`);
  if (summary.upgraded > 0) lines.push(`added checksums to ${summary.upgraded} entr${summary.upgraded === 1 ? "y" : "ies"} of an older run`);
  if (summary.repaired.length > 0) {
    lines.push(`repaired (recomputed) ${summary.repaired.length} damaged file(s): ${listed(summary.repaired, (p) => `${p.file} (${p.problem})`)}`);
  }
  if (summary.retried.length > 0) {
    lines.push(`retried ${summary.retried.length} failed clip(s) whose mp3 changed: ${listed(summary.retried, (r) => `${clipId(r.trackId)} (${r.why})`)}`);
  }
  if (summary.knownBadExcluded.length > 0) {
    lines.push(`known-bad clips excluded: ${summary.knownBadExcluded.map((c) => `${clipId(c.trackId)} (${c.problem})`).join(", ")}`);
  }
  if (summary.shortClips.length > 0) lines.push(`short clips (${summary.shortClips.length}, stored zero-padded): ${listed(summary.shortClips, clipId)}`);
  if (summary.silentClips.length > 0) lines.push(`silent clips (${summary.silentClips.length}, stored, flagged "silent"): ${listed(summary.silentClips, clipId)}`);
  if (summary.failures.length > 0) {
    lines.push(`failed clips (${summary.failures.length}):`);
    for (const f of summary.failures.slice(0, LISTED)) lines.push(`  ${clipId(f.trackId)}  ${f.reason.padEnd(10)}  ${f.message}`);
    if (summary.failures.length > LISTED) lines.push(`  … ${summary.failures.length - LISTED} more`);
    if (!retryFailed) {
      lines.push(`clips whose mp3 appears or changes are retried on the next run; to retry every failed clip: ${repairCommand(summary.params, summary.dir, ["--retry-failed"])}`);
    }
  }
  if (summary.problemsFile) lines.push(`every short, failed, silent and repaired clip: ${summary.problemsFile}`);
  return lines;
}

/** --verify: check every finished entry of the cache these options name; exit 0, or EXIT_CACHE_DAMAGED. */
function verify(request: CacheRequest & { dataDir: string; subset?: Subset; cacheRoot?: string }, cacheOption: string | undefined): number {
  const dir =
    cacheOption && fs.existsSync(path.join(cacheOption, PARAMS_FILE)) ? cacheOption : findCache(request.dataDir, request);
  const result = verifySpectrogramCache(dir);
  const lines = [`cache: ${result.dir}`, `verified ${result.checked} cached clip(s) (size, CRC32); ${result.failed} recorded as failed (no files)`];
  if (result.damaged.length === 0) {
    lines.push("all cached files verify");
    console.log(lines.join("\n"));
    return 0;
  }
  const tracks = new Set(result.damaged.map((p) => p.trackId)).size;
  lines.push(`damaged: ${result.damaged.length} file(s) of ${tracks} clip(s):`);
  for (const p of result.damaged) lines.push(`  ${clipId(p.trackId)}  ${p.kind.padEnd(8)}  ${p.file}: ${p.problem}`);
  lines.push(`repair (recomputes exactly these clips): ${result.repair}`);
  console.log(lines.join("\n"));
  return EXIT_CACHE_DAMAGED;
}
