// Helpers for the audio / log-mel parity tests: the small fixtures in tests/fixtures/reference (cut from
// ../shared/reference by tests/fixtures/reference/make_fixtures.py), the full reference when present,
// error measures, and MP3 files made on the fly with lamejs.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, sharedDir } from "../../src/util/fs";

export const FIXTURE_DIR = path.join(PROJECT_ROOT, "tests", "fixtures", "reference");

export function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

export function fixtureF32(name: string): Float32Array {
  return readF32(path.join(FIXTURE_DIR, name));
}

export function fixtureU8(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURE_DIR, name)));
}

export interface FixtureIndex {
  files: Record<string, number[]>;
  chirp: { t0: number; frames: number; mel_max: number; total_frames: number };
  clip: { id: string; t0: number; frames: number; max_frame: number; total_frames: number };
}

export function fixtureIndex(): FixtureIndex {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, "fixtures.json"), "utf8")) as FixtureIndex;
}

/** ../shared/reference, or null when absent. */
export function referenceDir(): string | null {
  const s = sharedDir();
  const d = s ? path.join(s, "reference") : null;
  return d && fs.existsSync(path.join(d, "index.json")) ? d : null;
}

/** ../shared/fma-sample/audio, or null when absent. */
export function sampleAudioDir(): string | null {
  const s = sharedDir();
  const d = s ? path.join(s, "fma-sample", "audio") : null;
  return d && fs.existsSync(d) ? d : null;
}

/**
 * Largest relative error |a − r| / r over the cells where r ≥ floorFrac·max(r) (the rule for
 * power values: tiny values are float32 rounding noise in librosa's output). All-zero references
 * compare absolutely.
 */
export function maxRelativeError(actual: ArrayLike<number>, ref: ArrayLike<number>, floorFrac = 1e-6): number {
  if (actual.length !== ref.length) throw new Error(`length ${actual.length} ≠ reference ${ref.length}`);
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, ref[i]);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    if (max === 0) worst = Math.max(worst, Math.abs(actual[i] - ref[i]));
    else if (ref[i] >= floorFrac * max) worst = Math.max(worst, Math.abs(actual[i] - ref[i]) / ref[i]);
  }
  return worst;
}

export function maxAbsError(actual: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (actual.length !== ref.length) throw new Error(`length ${actual.length} ≠ reference ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(actual[i] - ref[i]));
  return worst;
}

/** mean, p99 and max of |a − r|. */
export function absErrorStats(actual: ArrayLike<number>, ref: ArrayLike<number>): { mean: number; p99: number; max: number } {
  const n = Math.min(actual.length, ref.length);
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    d[i] = Math.abs(actual[i] - ref[i]);
    sum += d[i];
  }
  d.sort();
  return { mean: sum / n, p99: d[Math.min(n - 1, Math.floor(0.99 * n))], max: d[n - 1] };
}

/** Columns [t0, t0 + n) of a rows × cols row-major array. */
export function cropColumns(data: Float32Array, rows: number, cols: number, t0: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + t0, r * cols + t0 + n), r * n);
  return out;
}

// ---------------------------------------------------------------- MP3s made with lamejs

interface LameModule {
  Mp3Encoder: new (channels: number, sampleRate: number, kbps: number) => {
    encodeBuffer(left: Int16Array, right?: Int16Array): Uint8Array;
    flush(): Uint8Array;
  };
}

export interface ToneSpec {
  sampleRate: number;
  channels: 1 | 2;
  durationS: number;
  /** Frequencies (Hz) summed, each at amplitude 0.3 (channel 2 gets the first one only). */
  freqs?: number[];
  kbps?: number;
}

/** PCM of the tones, as Int16 per channel. */
export function toneInt16(spec: ToneSpec): Int16Array[] {
  const n = Math.round(spec.durationS * spec.sampleRate);
  const freqs = spec.freqs ?? [440];
  const left = new Int16Array(n);
  const right = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += 0.3 * Math.sin((2 * Math.PI * f * i) / spec.sampleRate);
    left[i] = Math.round(v * 32767);
    right[i] = Math.round(0.3 * Math.sin((2 * Math.PI * freqs[0] * i) / spec.sampleRate) * 32767);
  }
  return spec.channels === 2 ? [left, right] : [left];
}

let lameModule: LameModule | null = null;

// The package's CommonJS build is an IIFE that only sets a global `lamejs` (nothing on module.exports),
// and its exports map hides the ESM build from require(): evaluate the IIFE and take its value.
function lame(): LameModule {
  if (!lameModule) {
    const file = require.resolve("@breezystack/lamejs");
    const source = fs.readFileSync(file, "utf8");
    lameModule = new Function(`${source}\nreturn lamejs;`)() as LameModule;
  }
  return lameModule;
}

/** An MP3 (no ID3 tag) of sine tones, encoded by lamejs. */
export function encodeToneMp3(spec: ToneSpec): Uint8Array {
  const lamejs = lame();
  const pcm = toneInt16(spec);
  const enc = new lamejs.Mp3Encoder(spec.channels, spec.sampleRate, spec.kbps ?? 128);
  const parts: Uint8Array[] = [];
  const block = 1152 * 10;
  for (let i = 0; i < pcm[0].length; i += block) {
    const l = pcm[0].subarray(i, i + block);
    parts.push(spec.channels === 2 ? enc.encodeBuffer(l, pcm[1].subarray(i, i + block)) : enc.encodeBuffer(l));
  }
  parts.push(enc.flush());
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A minimal ID3v2.3 tag (one TIT2 frame) of `bodyBytes` total body size. */
export function id3Tag(title = "test", padding = 64): Uint8Array {
  const text = Buffer.from("\u0000" + title, "latin1");
  const frame = Buffer.concat([Buffer.from("TIT2"), u32be(text.length), Buffer.from([0, 0]), text]);
  const body = Buffer.concat([frame, Buffer.alloc(padding)]);
  const size = body.length;
  const header = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
  return new Uint8Array(Buffer.concat([header, body]));
}

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
