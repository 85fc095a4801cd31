// MP3 → float PCM with mpg123 compiled to WASM (mpg123-decoder; the same libmpg123 that libsndfile,
// hence librosa, uses). Before decoding we walk the MPEG frame headers ourselves: that is how we tell
// an empty file, an ID3 tag without audio, a WAV/FLAC/Ogg/MP4/text file renamed .mp3, random bytes,
// and a file cut short (its last frame runs past the end of the file, or fewer frames than the
// Xing/Info header announces) apart, and it gives the true channel count (the decoder always hands
// back two channels, duplicating a mono stream).
import type { MPEGDecoder as MPEGDecoderType, MPEGDecodedAudio } from "mpg123-decoder";
import type { AudioEngine } from "../native/settings";
import { resolveDecoder, type DecoderName } from "./engine";
import { decodeWithMpg123, decodeWithMpg123Split, type NativeDecodeResult } from "./mpg123-native";

export type AudioDecodeReason = "empty" | "no-audio" | "truncated" | "garbage" | "id3-only" | "not-mp3";

/** A file that is not decodable MP3 audio; `source` names the file (or "<bytes>"). */
export class AudioDecodeError extends Error {
  readonly reason: AudioDecodeReason;
  readonly source: string;
  constructor(source: string, reason: AudioDecodeReason, detail: string) {
    super(`${source}: cannot decode MP3 (${reason}): ${detail}`);
    this.name = "AudioDecodeError";
    this.reason = reason;
    this.source = source;
  }
}

export interface DecodedAudio {
  /** One Float32Array per channel (1 for mono streams, 2 for stereo/joint/dual). */
  channels: Float32Array[];
  sampleRate: number;
  durationS: number;
  /**
   * The file ends inside a frame or holds fewer frames than its Xing/Info header says: what decoded
   * is returned (if at least `minDurationS`), flagged here. A file cut exactly at a frame boundary
   * without a Xing/Info header cannot be told from a short file.
   */
  truncated: boolean;
  /** Decoder complaints (corrupt frames skipped etc.), with positions. */
  warnings: string[];
  /** Which decoder ran. */
  decoder: DecoderName;
  /** Channels in the stream (`channels` holds one when decoded with `mixToMono`). */
  sourceChannels: number;
}

export interface DecodeOptions {
  /** Less decoded audio than this (seconds) is an error. Default 1. */
  minDurationS?: number;
  /** auto | native | wasm; default: `computeSettings().audio`. */
  engine?: AudioEngine;
  /**
   * Return the channels' mean (librosa.to_mono, the same float32 values as toMono) as the one channel:
   * the native path mixes straight from libmpg123's interleaved output, one pass and no per-channel copies.
   */
  mixToMono?: boolean;
  /**
   * Threads for the native decode: 2 splits the stream in halves decoded at once (bit-identical to 1);
   * 1 for callers that already keep every core busy (the cache workers). Default 1.
   */
  threads?: 1 | 2;
}

// ---------------------------------------------------------------- frame-header walk

// kbps by [MPEG 1 ? 0 : 1][layer - 1][bitrate index 1..14] (numeric indices: scanMp3 parses every frame).
const BITRATES_KBPS: number[][][] = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
// Hz by version bits (3: MPEG 1, 2: MPEG 2, 0: MPEG 2.5) and rate index.
const SAMPLE_RATES: number[][] = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];

export interface FrameHeader {
  sampleRate: number;
  channels: number;
  layer: number;
  /** Bytes in this frame (0 for free-format streams, unsupported here). */
  length: number;
  samplesPerFrame: number;
}

/** Parse the 4-byte MPEG audio frame header at `pos`, or null if it is not one. */
export function parseFrameHeader(b: Uint8Array, pos: number): FrameHeader | null {
  if (pos + 4 > b.length) return null;
  if (b[pos] !== 0xff || (b[pos + 1] & 0xe0) !== 0xe0) return null;
  const versionBits = (b[pos + 1] >> 3) & 3; // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
  const layerBits = (b[pos + 1] >> 1) & 3; // 1: III, 2: II, 3: I
  const bitrateIdx = (b[pos + 2] >> 4) & 15;
  const rateIdx = (b[pos + 2] >> 2) & 3;
  const padding = (b[pos + 2] >> 1) & 1;
  const mode = (b[pos + 3] >> 6) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIdx === 15 || bitrateIdx === 0 || rateIdx === 3) return null;
  const layer = 4 - layerBits;
  const v1 = versionBits === 3;
  const bitrate = BITRATES_KBPS[v1 ? 0 : 1][layer - 1][bitrateIdx] * 1000;
  const sampleRate = SAMPLE_RATES[versionBits][rateIdx];
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && !v1 ? 576 : 1152;
  const length =
    layer === 1
      ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
      : Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
  return { sampleRate, channels: mode === 3 ? 1 : 2, layer, length, samplesPerFrame };
}

/** Size of the ID3v2 tag at `pos` (header + body + footer), 0 if none. */
function id3v2Size(b: Uint8Array, pos: number): number {
  if (pos + 10 > b.length || b[pos] !== 0x49 || b[pos + 1] !== 0x44 || b[pos + 2] !== 0x33) return 0;
  const size = ((b[pos + 6] & 0x7f) << 21) | ((b[pos + 7] & 0x7f) << 14) | ((b[pos + 8] & 0x7f) << 7) | (b[pos + 9] & 0x7f);
  const footer = b[pos + 5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

function ascii(b: Uint8Array, pos: number, n: number): string {
  let s = "";
  for (let i = pos; i < Math.min(b.length, pos + n); i++) s += String.fromCharCode(b[i]);
  return s;
}

/** A recognisable non-MP3 container or text, by magic bytes; null when unknown. */
function otherFormat(b: Uint8Array, pos: number): string | null {
  const head = ascii(b, pos, 12);
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WAVE") return "a RIFF/WAVE file";
  if (head.startsWith("RIFF")) return "a RIFF file";
  if (head.startsWith("fLaC")) return "a FLAC file";
  if (head.startsWith("OggS")) return "an Ogg file";
  if (head.slice(4, 8) === "ftyp") return "an MP4/M4A file";
  if (head.startsWith("FORM")) return "an AIFF file";
  if (head.startsWith("PK\u0003\u0004")) return "a ZIP archive";
  if (head.startsWith("<") || head.startsWith("{")) return "a text (HTML/XML/JSON) file";
  // Mostly printable ASCII in the first 256 bytes: a text file.
  const n = Math.min(256, b.length - pos);
  if (n >= 16) {
    let printable = 0;
    for (let i = pos; i < pos + n; i++) {
      const c = b[i];
      if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13) printable++;
    }
    if (printable / n > 0.95) return "a text file";
  }
  return null;
}

export interface StreamScan {
  audioStart: number;
  first: FrameHeader;
  frames: number;
  /** The last frame claims more bytes than the file has. */
  cutInFrame: boolean;
  /** Frame count from a Xing/Info/VBRI header, if any. */
  announcedFrames: number | null;
}

const SYNC_SEARCH_BYTES = 1 << 16;

/**
 * Locate the audio: skip ID3v2 tags, find the first frame header confirmed by the next two, and walk
 * the chain to the end. Throws AudioDecodeError for what is clearly not MP3 audio.
 */
export function scanMp3(b: Uint8Array, source = "<bytes>"): StreamScan {
  if (b.length === 0) throw new AudioDecodeError(source, "empty", "the file is empty (0 bytes)");
  let pos = 0;
  let id3 = 0;
  for (let size = id3v2Size(b, pos); size > 0; size = id3v2Size(b, pos)) {
    pos += size;
    id3 += size;
  }
  if (id3 > 0) {
    let allZero = true;
    for (let i = pos; i < b.length && allZero; i++) allZero = b[i] === 0;
    const id3v1Only = b.length - pos === 128 && ascii(b, pos, 3) === "TAG";
    if (pos >= b.length || allZero || id3v1Only) {
      throw new AudioDecodeError(source, "id3-only", `only an ID3 tag (${Math.min(id3, b.length)} bytes), no audio frames after it`);
    }
  }
  const other = otherFormat(b, pos);
  if (other) throw new AudioDecodeError(source, "not-mp3", `this is ${other}, not MPEG audio`);
  const limit = Math.min(b.length, pos + SYNC_SEARCH_BYTES);
  let start = -1;
  let first: FrameHeader | null = null;
  for (let i = pos; i < limit; i++) {
    const h = parseFrameHeader(b, i);
    if (!h || h.length < 4) continue;
    // Confirm: the next frame header must follow with the same rate and layer (or the file ends there).
    const j = i + h.length;
    if (j >= b.length) continue;
    const h2 = parseFrameHeader(b, j);
    if (!h2 || h2.sampleRate !== h.sampleRate || h2.layer !== h.layer) continue;
    const k = j + h2.length;
    if (k < b.length) {
      const h3 = parseFrameHeader(b, k);
      if (!h3 || h3.sampleRate !== h.sampleRate || h3.layer !== h.layer) continue;
    }
    start = i;
    first = h;
    break;
  }
  if (start < 0 || !first) {
    const what = id3 > 0 ? `after a ${id3}-byte ID3 tag, ` : "";
    throw new AudioDecodeError(source, "garbage", `${what}no MPEG audio frame sync in the first ${limit - pos} bytes`);
  }
  // Walk the chain.
  let frames = 0;
  let p = start;
  let cutInFrame = false;
  while (p < b.length) {
    const h = parseFrameHeader(b, p);
    if (!h || h.length < 4 || h.sampleRate !== first.sampleRate || h.layer !== first.layer) break;
    if (p + h.length > b.length) {
      cutInFrame = true;
      break;
    }
    frames++;
    p += h.length;
  }
  return { audioStart: start, first, frames, cutInFrame, announcedFrames: xingFrames(b, start, first) };
}

/** Frame count stored in a Xing/Info (LAME) or VBRI header in the first frame, or null. */
function xingFrames(b: Uint8Array, start: number, h: FrameHeader): number | null {
  const end = Math.min(b.length, start + Math.max(h.length, 200));
  for (let i = start + 4; i + 12 <= end; i++) {
    const tag = ascii(b, i, 4);
    if (tag === "Xing" || tag === "Info") {
      const flags = (b[i + 4] << 24) | (b[i + 5] << 16) | (b[i + 6] << 8) | b[i + 7];
      if (!(flags & 1)) return null;
      // The Xing frame itself carries no audio; it is not in the count.
      return ((b[i + 8] << 24) | (b[i + 9] << 16) | (b[i + 10] << 8) | b[i + 11]) >>> 0;
    }
    if (tag === "VBRI" && i + 18 <= b.length) {
      return ((b[i + 14] << 24) | (b[i + 15] << 16) | (b[i + 16] << 8) | b[i + 17]) >>> 0;
    }
  }
  return null;
}

// ---------------------------------------------------------------- decoder

type DecoderModule = { MPEGDecoder: new (opts?: { enableGapless?: boolean }) => MPEGDecoderType };

/** What renewFrameDecoder touches inside mpg123-decoder 1.0.3's MPEGDecoder (the version is pinned). */
interface DecoderInternals {
  _common: {
    wasm: {
      mpeg_frame_decoder_create(decoderPtrPtr: number, enableGapless: number): number;
      mpeg_frame_decoder_destroy(decoder: number): void;
    };
    allocateTypedArray(len: number, type: Uint32ArrayConstructor): { ptr: number; buf: Uint32Array };
  };
  _decoder: number;
  _sampleRatePtr: { buf: Uint32Array };
  _sampleRate: number;
  _inputBytes: number;
  _outputSamples: number;
  _frameNumber: number;
}

let decoder: MPEGDecoderType | null = null;
let decoderDirty = false;
/** A 4-byte slot in the current decoder's WASM heap for mpeg_frame_decoder_create's out-pointer. */
let decoderSlot: { ptr: number; buf: Uint32Array } | null = null;
let queue: Promise<unknown> = Promise.resolve();

function hasInternals(d: MPEGDecoderType): boolean {
  const x = d as unknown as Partial<DecoderInternals>;
  const w = x._common?.wasm;
  return (
    typeof w?.mpeg_frame_decoder_create === "function" &&
    typeof w.mpeg_frame_decoder_destroy === "function" &&
    typeof x._common?.allocateTypedArray === "function" &&
    typeof x._decoder === "number" &&
    x._sampleRatePtr?.buf instanceof Uint32Array
  );
}

/**
 * A fresh libmpg123 handle on the same WASM instance: what reset() does (MPEGDecoder._init) minus a new
 * 16 MiB WASM instance per file (median 2 ms, p90 13 ms in the audio bench), bit-exact with it (tested).
 * Returns false when the handle could not be made.
 */
function renewFrameDecoder(d: MPEGDecoderType): boolean {
  const x = d as unknown as DecoderInternals;
  const wasm = x._common.wasm;
  // mpg123_delete + free() of the handle's struct (MPEGDecoder.free frees it once more, harmless only
  // because reset() then drops the whole instance).
  wasm.mpeg_frame_decoder_destroy(x._decoder);
  decoderSlot ??= x._common.allocateTypedArray(1, Uint32Array);
  const error = wasm.mpeg_frame_decoder_create(decoderSlot.ptr, 1);
  x._decoder = decoderSlot.buf[0];
  // The JS side's per-stream state, as _init sets it; the sample-rate cell is read back after decoding.
  x._sampleRate = 0;
  x._inputBytes = 0;
  x._outputSamples = 0;
  x._frameNumber = 0;
  x._sampleRatePtr.buf[0] = 0;
  return error === 0;
}

async function readyDecoder(): Promise<MPEGDecoderType> {
  if (decoder && decoderDirty) {
    if (!hasInternals(decoder)) await decoder.reset();
    else if (!renewFrameDecoder(decoder)) decoder = null; // a half-made handle: start over
  }
  if (!decoder) {
    // mpg123-decoder is ESM-only: Node ≥ 20.19 loads it through require(esm).
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require("mpg123-decoder") as DecoderModule;
    decoderSlot = null;
    decoder = new mod.MPEGDecoder({ enableGapless: true });
    await decoder.ready;
  }
  decoderDirty = false;
  return decoder;
}

/** Run `fn` after every earlier decode finished: one WASM decoder is shared, one file at a time. */
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function decodeQuietly(d: MPEGDecoderType, bytes: Uint8Array): MPEGDecodedAudio {
  // The library prints every corrupt frame to console.error; we report them as warnings instead.
  const original = console.error;
  console.error = () => undefined;
  try {
    return d.decode(bytes);
  } finally {
    console.error = original;
  }
}

/** Decoded samples before the checks that both decoders share. */
interface RawDecode {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  warnings: string[];
  /** The stream's channels, where the decoder mixed them (the native path). */
  channels?: number;
}

/** The WASM decoder: one shared instance, one file at a time. */
function decodeWasm(audio: Uint8Array): Promise<RawDecode> {
  return serialised(async () => {
    const d = await readyDecoder();
    decoderDirty = true;
    const out = decodeQuietly(d, audio);
    const warnings = out.errors.map((e) => `${e.message} at byte ${e.inputBytes}, frame ${e.frameNumber}`);
    return { channelData: out.channelData, samplesDecoded: out.samplesDecoded, sampleRate: out.sampleRate, warnings };
  });
}

/** libmpg123 in-process: on two threads when asked and the split is clean, else on this one. */
async function decodeNative(audio: Uint8Array, scan: StreamScan, mixToMono: boolean, threads: number): Promise<RawDecode> {
  const expected = scan.frames * scan.first.samplesPerFrame;
  const split = threads > 1 ? await decodeSplit(audio, expected, scan.first.channels, mixToMono) : null;
  return split ?? fromInterleaved(decodeWithMpg123(audio, expected, scan.first.channels), mixToMono);
}

/** The two-thread decode; mixing to mono, the first half is mixed while the second one decodes. */
function decodeSplit(audio: Uint8Array, expected: number, channels: number, mixToMono: boolean): Promise<RawDecode | null> {
  if (!mixToMono || channels !== 2) return decodeWithMpg123Split(audio, expected, channels, (r) => fromInterleaved(r, mixToMono));
  const mono = new Float32Array(expected + 4096); // the split's own buffer bound
  let mixed = 0;
  const mix = (x: Float32Array, from: number, to: number) => {
    for (let i = from, j = 2 * from; i < to; i++, j += 2) mono[i] = (x[j] + x[j + 1]) * 0.5;
  };
  const onHead = (head: Float32Array) => {
    mixed = head.length >> 1;
    mix(head, 0, mixed);
  };
  return decodeWithMpg123Split(audio, expected, channels, (r) => {
    // (l + r)·0.5 rounded once to float32, as fromInterleaved.
    mix(r.interleaved, mixed, r.frames);
    return { channelData: [mono.subarray(0, r.frames)], samplesDecoded: r.frames, sampleRate: r.sampleRate, warnings: r.warnings, channels: 2 };
  }, onHead);
}

/** libmpg123's interleaved output (a reused buffer) copied out as channels, or as their mean. */
function fromInterleaved(r: NativeDecodeResult, mixToMono: boolean): RawDecode {
  const channelData: Float32Array[] = [];
  if (mixToMono && r.channels === 2) {
    // (l + r)·0.5 rounded once to float32: toMono's (and numpy's float32 mean's) value.
    const mono = new Float32Array(r.frames);
    const x = r.interleaved;
    for (let i = 0, j = 0; i < r.frames; i++, j += 2) mono[i] = (x[j] + x[j + 1]) * 0.5;
    return { channelData: [mono], samplesDecoded: r.frames, sampleRate: r.sampleRate, warnings: r.warnings, channels: 2 };
  }
  for (let c = 0; c < r.channels; c++) channelData.push(new Float32Array(r.frames));
  if (r.channels === 1) channelData[0].set(r.interleaved);
  else {
    const [a, b] = channelData;
    const x = r.interleaved;
    for (let i = 0, j = 0; i < r.frames; i++, j += 2) {
      a[i] = x[j];
      b[i] = x[j + 1];
    }
  }
  return { channelData, samplesDecoded: r.frames, sampleRate: r.sampleRate, warnings: r.warnings, channels: r.channels };
}

/**
 * Decode an MP3 file's bytes to float PCM (gapless: encoder delay and padding removed, as libsndfile
 * does), with libmpg123 when it loads, else the WASM mpg123 (see engine.ts). `source` names the file in
 * errors; our frame-header walk classifies bad input the same way for both decoders.
 */
export async function decodeMp3(bytes: Uint8Array, source = "<bytes>", opts: DecodeOptions = {}): Promise<DecodedAudio> {
  const minDurationS = opts.minDurationS ?? 1;
  const decoderName = resolveDecoder(opts.engine);
  const scan = scanMp3(bytes, source);
  const audio = scan.audioStart > 0 ? bytes.subarray(scan.audioStart) : bytes;
  const mixToMono = opts.mixToMono === true;
  const out = decoderName === "libmpg123" ? await decodeNative(audio, scan, mixToMono, opts.threads ?? 1) : await decodeWasm(audio);
  const warnings = out.warnings;
  const announcedShort = scan.announcedFrames !== null && scan.frames + 1 < scan.announcedFrames;
  const truncated = scan.cutInFrame || announcedShort;
  if (announcedShort) warnings.push(`${scan.frames} frames, the Xing/Info header announces ${scan.announcedFrames}`);
  const sampleRate = out.sampleRate || scan.first.sampleRate;
  const n = out.samplesDecoded;
  if (n === 0) {
    throw new AudioDecodeError(source, truncated ? "truncated" : "no-audio", `${scan.frames} frame headers found but no audio decoded`);
  }
  const durationS = n / sampleRate;
  if (durationS < minDurationS) {
    throw new AudioDecodeError(
      source,
      truncated ? "truncated" : "no-audio",
      `only ${durationS.toFixed(3)} s of audio decoded (minimum ${minDurationS} s)${truncated ? "; the file is cut short" : ""}`,
    );
  }
  const sourceChannels = scan.first.channels === 1 ? 1 : 2;
  let channels = sourceChannels === 1 ? [out.channelData[0]] : out.channelData.slice(0, 2);
  if (mixToMono && channels.length > 1) channels = [toMono(channels)];
  return { channels, sampleRate, durationS, truncated, warnings, decoder: decoderName, sourceChannels };
}

/** Mean of the channels (librosa.to_mono); a single channel is returned as is (not copied). */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError("toMono: no channels");
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  if (channels.length === 2) {
    const a = channels[0];
    const b = channels[1];
    for (let i = 0; i < n; i++) out[i] = (a[i] + b[i]) * 0.5;
    return out;
  }
  const k = channels.length;
  for (const ch of channels) for (let i = 0; i < n; i++) out[i] += ch[i];
  for (let i = 0; i < n; i++) out[i] /= k;
  return out;
}
