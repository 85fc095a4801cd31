// One clip of the spectrogram cache (decode → pad/crop → log-mel → int16 file, + meyda features), and
// the worker_threads loop that runs it on jobs sent by buildSpectrogramCache. Started through
// cache-worker.cjs (which registers tsx); processClip is also called in-process when workers = 0.
import * as path from "node:path";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { AudioDecodeError } from "../audio/decode";
import { loadAudio } from "../audio/load";
import { logMelSpectrogram } from "./melspec";
import { clipFeatures } from "./meyda";
import { writeFileAtomicAsync } from "../util/fs";
import { configureCompute, type ComputeSettings } from "../native/settings";
import type { CacheParams, CacheJob, ManifestEntry } from "./cache-format";
import { clipFilePaths, quantizeDb, SILENT_PEAK } from "./cache-format";
import { checksumOf, sourceStat } from "./cache-verify";

/** How processClip runs (beyond the cache parameters). */
export interface ClipOptions {
  /** Wait this long after writing each clip's spectrogram (tests use it to kill a run midway). */
  delayMs?: number;
}

/** Write a cache file atomically; its size and CRC32 go into the manifest entry. */
async function writeChecked(file: string, bytes: Uint8Array): Promise<{ bytes: number; crc32: string }> {
  await writeFileAtomicAsync(file, bytes);
  return { bytes: bytes.byteLength, crc32: checksumOf(bytes) };
}

function peakOf(pcm: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const a = Math.abs(pcm[i]);
    if (a > peak) peak = a;
  }
  return peak;
}

/** Compute and store one clip; never throws for a bad clip (the entry says what went wrong). */
export async function processClip(job: CacheJob, params: CacheParams, cacheDir: string, opts: ClipOptions = {}): Promise<ManifestEntry> {
  const base: Pick<ManifestEntry, "trackId" | "knownBad" | "source"> = { trackId: job.trackId };
  if (job.knownBad) base.knownBad = job.knownBad;
  base.source = sourceStat(job.path);
  if (!base.source) {
    return { ...base, status: "failed", reason: "missing", message: `${job.path}: no such file` };
  }
  const sr = params.mel.sr;
  let audio;
  try {
    // Exactly the decoder and resampler params.json names (an error, not a silent switch, if one is gone).
    // (WASM decoding with soxr_hq: libmpg123 absent but libsoxr present, which only "auto" gives.)
    const engine = params.decoder === "libmpg123" ? "native" : params.resampler === "soxr_hq" ? "auto" : "wasm";
    audio = await loadAudio(job.path, { sr, mono: true, resType: params.resampler, engine, threads: 1 });
  } catch (err) {
    if (err instanceof AudioDecodeError) {
      return { ...base, status: "failed", reason: err.reason, message: err.message };
    }
    return { ...base, status: "failed", reason: "error", message: `${job.path}: ${(err as Error).message ?? String(err)}` };
  }
  try {
    const clipSamples = Math.round(params.clipSeconds * sr);
    const used = Math.min(audio.pcm.length, clipSamples);
    // Shorter clips are zero-padded (→ the dB floor after power_to_db), longer ones cropped.
    const clip = new Float32Array(clipSamples);
    clip.set(audio.pcm.subarray(0, used));
    const spec = logMelSpectrogram(clip, params.mel, params.db);
    if (spec.nFrames !== params.nFrames || spec.nMels !== params.mel.nMels) {
      throw new Error(`spectrogram is ${spec.nMels}×${spec.nFrames}, expected ${params.mel.nMels}×${params.nFrames}`);
    }
    const files = clipFilePaths(job.trackId);
    const stored = await writeChecked(path.join(cacheDir, files.spectrogram), quantizeDb(spec.data, params.storage.scale));
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const entry: ManifestEntry = {
      ...base,
      status: audio.durationS < params.clipSeconds - params.shortToleranceS ? "short" : "ok",
      durationS: Math.round(audio.durationS * 1e4) / 1e4,
      sourceRate: audio.sourceRate,
      frames: spec.nFrames,
      audioFrames: Math.min(spec.nFrames, 1 + Math.floor(used / params.mel.hopLength)),
      file: files.spectrogram,
      bytes: stored.bytes,
      crc32: stored.crc32,
    };
    if (peakOf(audio.pcm.subarray(0, used)) < SILENT_PEAK) entry.silent = true;
    if (audio.truncated) entry.truncated = true;
    if (audio.warnings.length > 0) entry.warnings = audio.warnings.length;
    if (params.features) {
      // Features describe the audio only (no padding); the crop to clipSeconds applies.
      const f = clipFeatures(audio.pcm.subarray(0, used), sr, {
        frameLength: params.features.frameLength,
        hopLength: params.features.hopLength,
      });
      const featureFile = await writeChecked(path.join(cacheDir, files.features), new Uint8Array(f.values.buffer, f.values.byteOffset, f.values.byteLength));
      entry.features = files.features;
      entry.featuresBytes = featureFile.bytes;
      entry.featuresCrc32 = featureFile.crc32;
    }
    return entry;
  } catch (err) {
    return { ...base, status: "failed", reason: "error", message: `${job.path}: ${(err as Error).message ?? String(err)}` };
  }
}

/** Messages between the cache builder and its workers. */
export type ToWorker = { type: "job"; job: CacheJob } | { type: "stop" };
export type FromWorker = { type: "ready" } | { type: "done"; entry: ManifestEntry };

if (!isMainThread && parentPort && workerData && (workerData as { kind?: string }).kind === "fmalab-cache-worker") {
  const port = parentPort;
  const { params, cacheDir, clipOptions, compute } = workerData as { params: CacheParams; cacheDir: string; clipOptions?: ClipOptions; compute?: ComputeSettings };
  if (compute) configureCompute(compute);
  port.on("message", (msg: ToWorker) => {
    if (msg.type === "stop") {
      port.close();
      return;
    }
    processClip(msg.job, params, cacheDir, clipOptions).then(
      (entry) => port.postMessage({ type: "done", entry } satisfies FromWorker),
      (err) => {
        const entry: ManifestEntry = {
          trackId: msg.job.trackId,
          status: "failed",
          reason: "error",
          message: (err as Error).message ?? String(err),
          source: sourceStat(msg.job.path),
        };
        port.postMessage({ type: "done", entry } satisfies FromWorker);
      },
    );
  });
  port.postMessage({ type: "ready" } satisfies FromWorker);
}
