// `fmalab spectrograms`: build (or finish) the log-mel spectrogram cache of a dataset, in parallel,
// resumable. Exit status 0 when every clip is cached, 3 when some clips failed (the cache is still
// usable: failed clips are listed in the manifest and skipped by readers), 2 for usage errors.
import * as os from "node:os";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { buildSpectrogramCache } from "../../features/cache";
import { SUBSETS, type Subset } from "../../data/schema";
import type { KnownBadPolicy } from "../../data/known-bad";
import { RES_TYPES, type ResType } from "../../audio/engine";

/** Exit status when the run finished but some clips could not be decoded. */
export const EXIT_SOME_CLIPS_FAILED = 3;

const usage = `Usage: fmalab spectrograms [--data DIR] [--subset small|medium|large] [--workers N] [--cache DIR]
                           [--clip-seconds S] [--short-tolerance S] [--n-mels N] [--no-features] [--known-bad exclude|flag]
                           [--retry-failed] [--res-type soxr_hq|kaiser_best|kaiser_fast] [--quiet]

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
  --retry-failed      recompute clips an earlier run recorded as failed
  --res-type NAME     resampler, by librosa's res_type names: soxr_hq (default, librosa's default; libsoxr,
                      else kaiser_best with a notice), kaiser_best, kaiser_fast (each a different cache)
  --fast-resample     the same as --res-type kaiser_fast

Audio path: FMALAB_AUDIO=auto (default: libmpg123 + libsoxr when installed, else WASM), native, or wasm.
  --quiet             no progress bar

Resumable: stop it at any time (Ctrl-C, kill -9) and run the same command again; finished clips are not
recomputed. Exit status: 0 all clips cached, ${EXIT_SOME_CLIPS_FAILED} some clips failed (listed; the cache is usable), 2 bad usage.`;

export const command: CliCommand = {
  name: "spectrograms",
  summary: "build the resumable, parallel log-mel spectrogram + feature cache",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
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
        quiet: { type: "boolean" },
      },
      usage,
    );
    const dataDir = values.data ?? process.env.FMA_DIR ?? "data/fma";
    if (values.subset !== undefined && !(SUBSETS as readonly string[]).includes(values.subset)) {
      throw new UsageError(`unknown --subset "${values.subset}": expected one of ${SUBSETS.join(", ")}`);
    }
    const clipSeconds = values["clip-seconds"] === undefined ? 30 : Number(values["clip-seconds"]);
    if (!(clipSeconds > 0)) throw new UsageError(`--clip-seconds must be a number > 0, got "${values["clip-seconds"]}"`);
    const shortToleranceS = values["short-tolerance"] === undefined ? 1 : Number(values["short-tolerance"]);
    if (!(shortToleranceS >= 0)) throw new UsageError(`--short-tolerance must be a number ≥ 0, got "${values["short-tolerance"]}"`);
    const knownBad = values["known-bad"] ?? "exclude";
    if (knownBad !== "exclude" && knownBad !== "flag") throw new UsageError(`--known-bad must be exclude or flag, got "${knownBad}"`);

    const resType = values["res-type"] ?? (values["fast-resample"] ? "kaiser_fast" : undefined);
    if (resType !== undefined && !(RES_TYPES as readonly string[]).includes(resType)) {
      throw new UsageError(`--res-type must be one of ${RES_TYPES.join(", ")}, got "${resType}"`);
    }
    const summary = await buildSpectrogramCache({
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
      resType: resType as ResType | undefined,
      silent: values.quiet === true,
    });

    const lines = [
      `cache: ${summary.dir} (decoder ${summary.params.decoder}, resampler ${summary.params.resampler})`,
      `clips: ${summary.total} (ok ${summary.ok}, short ${summary.short}, failed ${summary.failed}); computed now ${summary.computed}, from earlier runs ${summary.reused}` +
        (summary.computed > 0 ? `; ${summary.clipsPerS.toFixed(2)} clips/s` : ""),
    ];
    if (summary.staleTempFilesRemoved > 0) lines.push(`removed ${summary.staleTempFilesRemoved} temp file(s) left by an interrupted run`);
    if (summary.knownBadExcluded.length > 0) {
      lines.push(`known-bad clips excluded: ${summary.knownBadExcluded.map((c) => `${String(c.trackId).padStart(6, "0")} (${c.problem})`).join(", ")}`);
    }
    if (summary.failures.length > 0) {
      lines.push(`failed clips (${summary.failures.length}):`);
      for (const f of summary.failures) lines.push(`  ${String(f.trackId).padStart(6, "0")}  ${f.reason.padEnd(10)}  ${f.message}`);
    }
    console.log(lines.join("\n"));
    return summary.failed > 0 ? EXIT_SOME_CLIPS_FAILED : 0;
  },
};
