// librosa.load equivalent: read a file, decode, mix to mono, resample to `sr` (default 22050 Hz).
import * as fs from "node:fs";
import { decodeMp3, toMono } from "./decode";
import { resampleAs, ResampleQuality } from "./resample";
import type { AudioEngine } from "../native/settings";
import { resolveResampler, type DecoderName, type ResType } from "./engine";

export interface LoadOptions {
  /** Target sample rate (Hz); null keeps the file's own rate. Default 22050. */
  sr?: number | null;
  /** Mix channels down to one (mean, like librosa). Default true; false returns channel 0 only. */
  mono?: boolean;
  /** Keep at most this many seconds from the start (librosa duration=). */
  durationS?: number;
  /**
   * librosa's res_type: "soxr_hq" (librosa's default, libsoxr; kaiser_best with a notice where libsoxr is
   * absent), "kaiser_best", "kaiser_fast". Default: soxr_hq.
   */
  resType?: ResType;
  /** Older name for the resampy filters ("best" = kaiser_best, "fast" = kaiser_fast); resType wins. */
  quality?: ResampleQuality;
  /** auto | native | wasm; default: `computeSettings().audio`. */
  engine?: AudioEngine;
  /** Less decoded audio than this is an error (seconds). Default 1. */
  minDurationS?: number;
  /** Native decode threads (see DecodeOptions.threads): 2 for one clip at a time, 1 in the cache workers. Default 2. */
  threads?: 1 | 2;
}

export interface LoadedAudio {
  pcm: Float32Array;
  /** Rate of `pcm`. */
  sampleRate: number;
  /** Rate the file was encoded at. */
  sourceRate: number;
  durationS: number;
  /** The file was cut short; `pcm` holds what decoded (see DecodedAudio.truncated). */
  truncated: boolean;
  /** Number of channels in the file. */
  sourceChannels: number;
  warnings: string[];
  /** The decoder and resampler that ran (the resampler is null when no resampling was needed). */
  decoder: DecoderName;
  resampler: ResType | null;
}

/** The res_type asked for by these options (undefined: librosa's default). */
export function requestedResType(opts: Pick<LoadOptions, "resType" | "quality">): ResType | undefined {
  if (opts.resType !== undefined) return opts.resType;
  if (opts.quality === "best") return "kaiser_best";
  if (opts.quality === "fast") return "kaiser_fast";
  return undefined;
}

/** Decode + mono + resample, from bytes already in memory (`source` names them in errors). */
export async function loadAudioBytes(bytes: Uint8Array, source: string, opts: LoadOptions = {}): Promise<LoadedAudio> {
  const sr = opts.sr === undefined ? 22050 : opts.sr;
  const resType = resolveResampler(requestedResType(opts), opts.engine);
  const mono = opts.mono !== false;
  const decoded = await decodeMp3(bytes, source, { minDurationS: opts.minDurationS, engine: opts.engine, mixToMono: mono, threads: opts.threads ?? 2 });
  let pcm = mono ? toMono(decoded.channels) : decoded.channels[0];
  if (opts.durationS !== undefined) {
    // librosa offsets/durations are in source samples, cut before resampling.
    const keep = Math.round(opts.durationS * decoded.sampleRate);
    if (keep < pcm.length) pcm = pcm.subarray(0, keep);
  }
  const targetRate = sr === null ? decoded.sampleRate : sr;
  const same = targetRate === decoded.sampleRate;
  const out = same ? pcm : resampleAs(pcm, decoded.sampleRate, targetRate, resType);
  return {
    pcm: out,
    sampleRate: targetRate,
    sourceRate: decoded.sampleRate,
    durationS: out.length / targetRate,
    truncated: decoded.truncated,
    sourceChannels: decoded.sourceChannels,
    warnings: decoded.warnings,
    decoder: decoded.decoder,
    resampler: same ? null : resType,
  };
}

/** librosa.load(path, sr=22050, mono=True) for MP3 files. */
export async function loadAudio(path: string, opts: LoadOptions = {}): Promise<LoadedAudio> {
  const bytes = await fs.promises.readFile(path);
  return loadAudioBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, opts);
}
