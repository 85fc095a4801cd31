// One clip of the spectrogram cache (decode → pad/crop → log-mel → int16 file, + meyda features), and
// the worker_threads loop that runs it on jobs sent by buildSpectrogramCache. Started through
// cache-worker.cjs (which registers tsx); processClip is also called in-process when workers = 0.
import * as fs from "node:fs";
import * as path from "node:path";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { AudioDecodeError } from "../audio/decode";
import { loadAudio } from "../audio/load";
import { logMelSpectrogram } from "./melspec";
import { clipFeatures } from "./meyda";
import { writeFileAtomicAsync } from "../util/fs";
import { configureCompute, type ComputeSettings } from "../native/settings";
import type { CacheParams, CacheJob, ManifestEntry } from "./cache-format";
import { clipFilePaths, quantizeDb } from "./cache-format";

/** Tests only (FMALAB_TEST=1): sleep FMALAB_CACHE_TEST_DELAY_MS per clip, so a test can kill a run midway. */
async function testDelay(): Promise<void> {
  if (process.env.FMALAB_TEST !== "1") return;
  const ms = Number(process.env.FMALAB_CACHE_TEST_DELAY_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Compute and store one clip; never throws for a bad clip (the entry says what went wrong). */
export async function processClip(job: CacheJob, params: CacheParams, cacheDir: string): Promise<ManifestEntry> {
  const base: Pick<ManifestEntry, "trackId" | "knownBad"> = { trackId: job.trackId };
  if (job.knownBad) base.knownBad = job.knownBad;
  if (!fs.existsSync(job.path)) {
    return { ...base, status: "failed", reason: "missing", message: `${job.path}: no such file` };
  }
  const sr = params.mel.sr;
  let audio;
  try {
    // Exactly the decoder and resampler params.json names (an error, not a silent switch, if one is gone).
    // (WASM decoding with soxr_hq: libmpg123 absent but libsoxr present, which only "auto" gives.)
    const engine = params.decoder === "libmpg123" ? "native" : params.resampler === "soxr_hq" ? "auto" : "wasm";
    audio = await loadAudio(job.path, { sr, mono: true, resType: params.resampler, engine });
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
    await writeFileAtomicAsync(path.join(cacheDir, files.spectrogram), quantizeDb(spec.data, params.storage.scale));
    await testDelay();
    const entry: ManifestEntry = {
      ...base,
      status: audio.durationS < params.clipSeconds - params.shortToleranceS ? "short" : "ok",
      durationS: Math.round(audio.durationS * 1e4) / 1e4,
      sourceRate: audio.sourceRate,
      frames: spec.nFrames,
      audioFrames: Math.min(spec.nFrames, 1 + Math.floor(used / params.mel.hopLength)),
      file: files.spectrogram,
    };
    if (audio.truncated) entry.truncated = true;
    if (audio.warnings.length > 0) entry.warnings = audio.warnings.length;
    if (params.features) {
      // Features describe the audio only (no padding); the crop to clipSeconds applies.
      const f = clipFeatures(audio.pcm.subarray(0, used), sr, {
        frameLength: params.features.frameLength,
        hopLength: params.features.hopLength,
      });
      await writeFileAtomicAsync(path.join(cacheDir, files.features), new Uint8Array(f.values.buffer, f.values.byteOffset, f.values.byteLength));
      entry.features = files.features;
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
  const { params, cacheDir, compute } = workerData as { params: CacheParams; cacheDir: string; compute?: ComputeSettings };
  if (compute) configureCompute(compute);
  port.on("message", (msg: ToWorker) => {
    if (msg.type === "stop") {
      port.close();
      return;
    }
    processClip(msg.job, params, cacheDir).then(
      (entry) => port.postMessage({ type: "done", entry } satisfies FromWorker),
      (err) => {
        const entry: ManifestEntry = {
          trackId: msg.job.trackId,
          status: "failed",
          reason: "error",
          message: (err as Error).message ?? String(err),
        };
        port.postMessage({ type: "done", entry } satisfies FromWorker);
      },
    );
  });
  port.postMessage({ type: "ready" } satisfies FromWorker);
}
