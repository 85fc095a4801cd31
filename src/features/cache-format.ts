// On-disk format of the spectrogram cache, shared by the builder (cache.ts), its workers
// (cache-worker.ts) and the reader.
//
//   cache/<dataset>-<subset>-<key>/        key = hash of everything that changes the stored numbers
//     params.json                          CacheParams (written once, atomically)
//     manifest.jsonl                       one ManifestEntry per finished clip, appended + fsynced
//     manifest-<shard>.jsonl               the same, one per writer process (merged on read)
//     problems.tsv                         the last run's short, failed, silent and repaired clips
//     lock                                 {pid} of the run writing this cache (stale after a kill)
//     clips/NNN/NNNNNN.i16                 log-mel dB × 100 as little-endian int16, nMels × nFrames
//     clips/NNN/NNNNNN.f32                 clip features (meyda.ts), little-endian float32
//
// int16 at 0.01 dB steps: fma_small's 8,000 clips × 128 × 1,292 × 2 B = 2.6 GB; the rounding error
// (≤ 0.005 dB) is far below what a 80 dB-range image needs. Every file is written temp + rename, so a
// file that exists is complete; the manifest line is appended after the clip's files, so a line means
// finished. A kill between the two only costs recomputing that clip.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import type { MelOptions, PowerToDbOptions } from "./melspec";
import type { ResampleQuality } from "../audio/resample";
import type { DecoderName, ResType } from "../audio/engine";
import type { Subset } from "../data/schema";

/** Bump when the layout or the meaning of stored numbers changes: old caches then no longer match. */
export const CACHE_FORMAT_VERSION = 1;

export interface CacheParams {
  formatVersion: number;
  /** The data folder (resolved) and subset the clips came from. */
  dataRoot: string;
  subset: Subset | null;
  /** Full mel options (DEFAULT_MEL_OPTIONS overridden by the request). */
  mel: MelOptions;
  /** power_to_db options: ref "max", amin 1e-10, topDb 80 by default. */
  db: Required<PowerToDbOptions>;
  /** Every clip is padded (zeros) or cropped to this length before the spectrogram. */
  clipSeconds: number;
  /** Frames per stored spectrogram (librosa's count for clipSeconds·sr samples). */
  nFrames: number;
  /** A clip decoding to less than clipSeconds − shortToleranceS is marked "short" (still stored, padded). */
  shortToleranceS: number;
  /** The request's older resampler name ("best": the default res_type, "fast": kaiser_fast). */
  resampleQuality: ResampleQuality;
  /** The decoder and resampler (librosa res_type) that computed the clips: part of the key. */
  decoder: DecoderName;
  resampler: ResType;
  storage: { dtype: "int16"; scale: number; endianness: "little" };
  /** Clip features stored beside the spectrograms, or null. */
  features: { extractor: "meyda"; frameLength: number; hopLength: number; names: string[] } | null;
}

export type ClipStatus = "ok" | "short" | "failed";

export interface ManifestEntry {
  trackId: number;
  status: ClipStatus;
  /** failed: "missing", an AudioDecodeReason ("empty", "truncated", "garbage", …) or "error". */
  reason?: string;
  message?: string;
  /** Decoded duration in seconds, before padding/cropping. */
  durationS?: number;
  sourceRate?: number;
  /** Frames stored (= params.nFrames). */
  frames?: number;
  /** Frames that hold audio (the rest is padding). */
  audioFrames?: number;
  /** Spectrogram file, relative to the cache folder. */
  file?: string;
  /** Features file, relative to the cache folder. */
  features?: string;
  /** The mp3 was cut short; what decoded is stored. */
  truncated?: boolean;
  /** Number of decoder warnings. */
  warnings?: number;
  /** The known-bad problem, when the clip is in KNOWN_BAD_CLIPS and the policy was "flag". */
  knownBad?: string;
  /** The decoded audio is silent (peak below SILENT_PEAK): stored, but flagged and listed. */
  silent?: boolean;
  /** Size and CRC32 (8 hex digits) of `file` and of `features`, checked by every reader (cache-verify.ts). */
  bytes?: number;
  crc32?: string;
  featuresBytes?: number;
  featuresCrc32?: string;
  /** The source mp3 when the entry was made (null: it did not exist); a changed one retries a failure. */
  source?: { bytes: number; mtimeMs: number } | null;
}

/** Peak |sample| below which a clip counts as silent (−80 dBFS, the spectrogram's dB floor). */
export const SILENT_PEAK = 1e-4;

export interface CacheJob {
  trackId: number;
  path: string;
  knownBad?: string;
}

/** The fields that determine the stored numbers (not where the data lives, not the feature names). */
export function cacheKey(params: CacheParams): string {
  const keyed = {
    formatVersion: params.formatVersion,
    dataRoot: params.dataRoot,
    subset: params.subset,
    mel: sortKeys(params.mel),
    db: sortKeys(params.db),
    clipSeconds: params.clipSeconds,
    shortToleranceS: params.shortToleranceS,
    resampleQuality: params.resampleQuality,
    decoder: params.decoder,
    resampler: params.resampler,
    storage: sortKeys(params.storage),
    features: params.features ? { extractor: params.features.extractor, frameLength: params.features.frameLength, hopLength: params.features.hopLength } : null,
  };
  return createHash("sha256").update(JSON.stringify(keyed)).digest("hex").slice(0, 12);
}

function sortKeys<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = (o as Record<string, unknown>)[k];
  return out as T;
}

/** Folder name of a cache: <dataset folder name>-<subset>-<key>. */
export function cacheDirName(params: CacheParams): string {
  const name = path.basename(params.dataRoot).replace(/[^A-Za-z0-9_.-]+/g, "_") || "dataset";
  return `${name}-${params.subset ?? "all"}-${cacheKey(params)}`;
}

export function clipFilePaths(trackId: number): { spectrogram: string; features: string } {
  const id = String(trackId).padStart(6, "0");
  const dir = path.join("clips", id.slice(0, 3));
  return { spectrogram: path.join(dir, `${id}.i16`), features: path.join(dir, `${id}.f32`) };
}

/** dB → round(dB × scale) as little-endian int16 bytes, saturating at the int16 range. */
export function quantizeDb(db: Float32Array, scale: number): Uint8Array {
  const out = new Int16Array(db.length);
  for (let i = 0; i < db.length; i++) {
    const q = Math.round(db[i] * scale);
    out[i] = q > 32767 ? 32767 : q < -32768 ? -32768 : q;
  }
  return littleEndianBytes(out);
}

/** int16 little-endian bytes → dB (float32). */
export function dequantizeDb(bytes: Uint8Array, scale: number, out?: Float32Array): Float32Array {
  const n = bytes.byteLength >> 1;
  const result = out ?? new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inv = 1 / scale;
  for (let i = 0; i < n; i++) result[i] = view.getInt16(2 * i, true) * inv;
  return result;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(a: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setInt16(2 * i, a[i], true);
  return out;
}

// ---------------------------------------------------------------- manifest

export const MANIFEST_FILE = "manifest.jsonl";
export const PARAMS_FILE = "params.json";

export interface ManifestRead {
  /** Entries by track id; a later line for the same track replaces an earlier one. */
  entries: Map<number, ManifestEntry>;
  /** Length in bytes of the well-formed prefix (everything up to the last complete line). */
  goodBytes: number;
  /** A torn or unparsable last line was found (a run killed mid-append). */
  tornTail: boolean;
}

/** Read manifest.jsonl, ignoring a torn last line. A malformed line elsewhere is an error (naming it). */
export function readManifest(file: string): ManifestRead {
  const entries = new Map<number, ManifestEntry>();
  if (!fs.existsSync(file)) return { entries, goodBytes: 0, tornTail: false };
  const buf = fs.readFileSync(file);
  let start = 0;
  let line = 0;
  let goodBytes = 0;
  let tornTail = false;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    line++;
    const end = nl < 0 ? buf.length : nl;
    const text = buf.subarray(start, end).toString("utf8").trim();
    const isLast = nl < 0 || nl === buf.length - 1;
    if (nl < 0) {
      // No newline: the append was cut short. Ignore it, whatever it holds.
      tornTail = true;
      break;
    }
    if (text.length > 0) {
      let entry: ManifestEntry | null = null;
      try {
        entry = JSON.parse(text) as ManifestEntry;
      } catch {
        entry = null;
      }
      if (!entry || typeof entry.trackId !== "number" || typeof entry.status !== "string") {
        if (isLast) {
          tornTail = true;
          break;
        }
        throw new Error(`${file} (line ${line}): not a manifest entry: ${text.slice(0, 120)}`);
      }
      entries.set(entry.trackId, entry);
    }
    start = nl + 1;
    goodBytes = start;
  }
  return { entries, goodBytes, tornTail };
}

/**
 * Every manifest file of a cache: manifest.jsonl, then manifest-<shard>.jsonl in name order (one per
 * writer process, so several machines can fill one cache without locks). Merged on read: a later
 * record for a track replaces an earlier one (within a file, later lines; across files, later names).
 */
export function manifestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const shards = fs
    .readdirSync(dir)
    .filter((n) => n !== MANIFEST_FILE && /^manifest-[A-Za-z0-9_.-]+\.jsonl$/.test(n))
    .sort();
  return [MANIFEST_FILE, ...shards].map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

/** All manifest records of a cache folder, merged (see manifestFiles). */
export function readCacheManifest(dir: string): Map<number, ManifestEntry> {
  const merged = new Map<number, ManifestEntry>();
  for (const f of manifestFiles(dir)) for (const [id, e] of readManifest(f).entries) merged.set(id, e);
  return merged;
}

/** Appends manifest lines: one write per line, then fsync, so a kill leaves at most one torn last line. */
export class ManifestWriter {
  private fd: number;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, "a");
  }
  append(entry: ManifestEntry): void {
    fs.writeSync(this.fd, Buffer.from(JSON.stringify(entry) + "\n", "utf8"));
    fs.fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Cut a torn tail off the manifest so the next append starts on a fresh line. */
export function repairManifest(file: string): ManifestRead {
  const read = readManifest(file);
  if (read.tornTail) fs.truncateSync(file, read.goodBytes);
  return read;
}

/** Remove temp files (writeFileAtomic's `.NAME.PID.RAND.tmp`) anywhere under `dir`. */
export function removeStaleTempFilesDeep(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let removed = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removed += removeStaleTempFilesDeep(p);
    else if (e.name.startsWith(".") && e.name.endsWith(".tmp")) {
      fs.rmSync(p, { force: true });
      removed++;
    }
  }
  return removed;
}

/** Human-readable differences between two params objects (for mismatch errors). */
export function describeParamDifferences(want: Record<string, unknown>, have: Record<string, unknown>, prefix = ""): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
  for (const k of keys) {
    const a = want[k];
    const b = have[k];
    const name = prefix ? `${prefix}.${k}` : k;
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
      out.push(...describeParamDifferences(a as Record<string, unknown>, b as Record<string, unknown>, name));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${name}: wanted ${JSON.stringify(a)}, cache has ${JSON.stringify(b)}`);
    }
  }
  return out;
}
