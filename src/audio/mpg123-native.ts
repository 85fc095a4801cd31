// libmpg123 (the system library libsndfile decodes MP3 with, hence librosa) called in-process through koffi.
// Set up as libsndfile's mpeg_decode.c sets it up: float output (MPG123_FORCE_FLOAT), gapless, no automatic
// resampling, no "Frankenstein" streams. We feed the whole file from memory (feed mode), which decodes the
// same samples as libsndfile's seekable reader on the sample clips (tested bit for bit against the WASM
// twin and against soundfile's output in the audio bench). Bad input is told apart by decode.ts's own
// frame-header walk before this is called, exactly as for the WASM decoder.
import { loadNativeLibrary, type KoffiLibrary, type LibraryCandidates, type NativeLibrary } from "../native/library";

/** Where libmpg123 is looked for: Debian/Ubuntu's soname, then Homebrew's (Apple silicon, Intel) dylibs. */
export const MPG123_CANDIDATES = {
  linux: ["libmpg123.so.0"],
  darwin: ["/opt/homebrew/lib/libmpg123.0.dylib", "/usr/local/lib/libmpg123.0.dylib", "libmpg123.0.dylib"],
};

// mpg123.h (API ≥ 45): parameter keys, flags, return codes, encodings.
const MPG123_ADD_FLAGS = 2;
const MPG123_REMOVE_FLAGS = 13;
const MPG123_PREFRAMES = 16;
const MPG123_QUIET = 0x20;
const MPG123_GAPLESS = 0x40;
const MPG123_FORCE_FLOAT = 0x400;
const MPG123_AUTO_RESAMPLE = 0x8000;
const MPG123_NO_FRANKENSTEIN = 0x1000000;
const MPG123_OK = 0;
const MPG123_NEW_FORMAT = -11;
const MPG123_NEED_MORE = -10;
const MPG123_DONE = -12;
const MPG123_ENC_FLOAT_32 = 0x200;

type Fn = (...args: unknown[]) => unknown;

interface Mpg123Api {
  lib: NativeLibrary;
  handle: unknown;
  /** A second handle for the second half of a two-thread decode (it seeks with warm-up frames). */
  seekHandle: unknown;
  feed: Fn;
  feedseek: Fn;
  read: Fn;
  openFeed: Fn;
  close: Fn;
  getformat: Fn;
  strerror: Fn;
}

let candidates: LibraryCandidates = MPG123_CANDIDATES;

/** Tests: forget the bound library and look for it among `c` next time (pair with resetNativeLibrariesForTests). */
export function resetMpg123ForTests(c: LibraryCandidates = MPG123_CANDIDATES): void {
  candidates = c;
  api = undefined;
}

let api: Mpg123Api | null | undefined;

function bind(lib: KoffiLibrary): Omit<Mpg123Api, "lib" | "handle" | "seekHandle"> & { init: Fn; create: Fn; param: Fn } {
  return {
    init: lib.func("int mpg123_init(void)"),
    create: lib.func("void* mpg123_new(const char* decoder, _Out_ int* error)"),
    param: lib.func("int mpg123_param(void* mh, int type, long value, double fvalue)"),
    openFeed: lib.func("int mpg123_open_feed(void* mh)"),
    feed: lib.func("int mpg123_feed(void* mh, const uint8_t* in, size_t size)"),
    feedseek: lib.func("long mpg123_feedseek(void* mh, long sampleoff, int whence, _Out_ long* input_offset)"),
    read: lib.func("int mpg123_read(void* mh, float* out, size_t bytes, _Out_ size_t* done)"),
    close: lib.func("int mpg123_close(void* mh)"),
    getformat: lib.func("int mpg123_getformat(void* mh, _Out_ long* rate, _Out_ int* channels, _Out_ int* encoding)"),
    strerror: lib.func("const char* mpg123_strerror(void* mh)"),
  };
}

/** The bound library with one decoder handle (reused per file), or null when libmpg123 is absent/unusable. */
export function nativeMpg123(): Mpg123Api | null {
  if (api !== undefined) return api;
  api = null;
  const lib = loadNativeLibrary("mpg123", candidates);
  if (!lib) return null;
  try {
    const f = bind(lib.lib);
    if (f.init() !== MPG123_OK) return null;
    const flags = MPG123_FORCE_FLOAT | MPG123_GAPLESS | MPG123_NO_FRANKENSTEIN | MPG123_QUIET;
    const newHandle = (): unknown => {
      const handle = f.create(null, [0]);
      if (!handle) return null;
      f.param(handle, MPG123_REMOVE_FLAGS, MPG123_AUTO_RESAMPLE, 1.0);
      f.param(handle, MPG123_ADD_FLAGS, flags, 1.0);
      // Frames decoded before a seek target (bit reservoir, IMDCT overlap, synthesis history): with 8 the
      // samples after the seek are bit-identical to a decode from the start (tested).
      f.param(handle, MPG123_PREFRAMES, 8, 1.0);
      return handle;
    };
    const handle = newHandle();
    const seekHandle = newHandle();
    if (!handle || !seekHandle) return null;
    api = { lib, handle, seekHandle, feed: f.feed, feedseek: f.feedseek, read: f.read, openFeed: f.openFeed, close: f.close, getformat: f.getformat, strerror: f.strerror };
  } catch {
    api = null;
  }
  return api;
}

export interface NativeDecodeResult {
  /** Interleaved float32 samples, `frames * channels` long: a view of a buffer reused by the next call. */
  interleaved: Float32Array;
  channels: number;
  sampleRate: number;
  frames: number;
  /** libmpg123's complaints, if it stopped on an error. */
  warnings: string[];
}

let scratch = new Float32Array(0);
let splitScratch = new Float32Array(0);
let splitBusy = false;

/**
 * Decode a whole MP3 byte stream with libmpg123. `expectedFrames` (PCM frames, from the header walk) sizes
 * the output buffer; it grows if the stream holds more. Throws only when libmpg123 itself fails to start.
 */
export function decodeWithMpg123(bytes: Uint8Array, expectedFrames: number, maxChannels: number): NativeDecodeResult {
  const m = nativeMpg123();
  if (!m) throw new Error("libmpg123 is not available");
  const warnings: string[] = [];
  m.close(m.handle);
  if (m.openFeed(m.handle) !== MPG123_OK) throw new Error(`mpg123_open_feed: ${m.strerror(m.handle)}`);
  try {
    const fed = m.feed(m.handle, bytes, bytes.length) as number;
    if (fed !== MPG123_OK) throw new Error(`mpg123_feed: ${m.strerror(m.handle)}`);
    // One output buffer for every file (a fresh 10 MB array per clip costs its page faults each time).
    if (scratch.length < Math.max(4096, (expectedFrames + 4096) * maxChannels)) scratch = new Float32Array(Math.max(4096, (expectedFrames + 4096) * maxChannels));
    let out = scratch;
    let filled = 0;
    const done = [0];
    let channels = maxChannels;
    let sampleRate = 0;
    for (;;) {
      if (out.length - filled < 4608 * 2) {
        const grown = new Float32Array(out.length * 2);
        grown.set(out.subarray(0, filled));
        out = grown;
        scratch = grown;
      }
      const room = out.subarray(filled);
      const rc = m.read(m.handle, room, room.length * 4, done) as number;
      filled += (done[0] as number) / 4;
      if (rc === MPG123_NEW_FORMAT) {
        const rate = [0];
        const ch = [0];
        const enc = [0];
        m.getformat(m.handle, rate, ch, enc);
        if (enc[0] !== MPG123_ENC_FLOAT_32) throw new Error(`libmpg123 gave encoding 0x${(enc[0] as number).toString(16)}, not float32`);
        sampleRate = rate[0] as number;
        channels = ch[0] as number;
        continue;
      }
      if (rc === MPG123_OK) continue;
      if (rc === MPG123_NEED_MORE || rc === MPG123_DONE) break;
      warnings.push(`libmpg123 stopped: ${m.strerror(m.handle)} after ${Math.floor(filled / channels)} samples`);
      break;
    }
    // NEW_FORMAT is reported once per handle, not per stream: read the format back every time.
    const rate = [0];
    const ch = [0];
    const enc = [0];
    if (m.getformat(m.handle, rate, ch, enc) === MPG123_OK) {
      sampleRate = rate[0] as number;
      channels = ch[0] as number;
    }
    const frames = Math.floor(filled / channels);
    return { interleaved: out.subarray(0, frames * channels), channels, sampleRate, frames, warnings };
  } finally {
    m.close(m.handle);
  }
}

/** mpg123_read into `out` until it is full or the stream ends; [floats written, last return code]. */
function readUntil(m: Mpg123Api, handle: unknown, out: Float32Array, first: number, firstRc: number): [number, number] {
  let filled = first;
  let rc = firstRc;
  const done = [0];
  while ((rc === MPG123_OK || rc === MPG123_NEW_FORMAT) && filled < out.length) {
    rc = m.read(handle, out.subarray(filled), (out.length - filled) * 4, done) as number;
    filled += (done[0] as number) / 4;
  }
  return [filled, rc];
}

function startFeed(m: Mpg123Api, handle: unknown, bytes: Uint8Array): boolean {
  m.close(handle);
  return m.openFeed(handle) === MPG123_OK && m.feed(handle, bytes, bytes.length) === MPG123_OK;
}

/**
 * decodeWithMpg123 on two threads: the first half on this one, the second half on a libuv thread (koffi
 * async) by a second handle that seeks there with 8 warm-up frames, so the samples are those of the
 * one-thread decode bit for bit. Returns null (the caller decodes on one thread) whenever the split is
 * not clean (`use` then never runs; `onHead`, given the first half while the second decodes, may have): a stereo/mono guess that does not hold, a stream shorter than the header walk says, any error.
 */
export async function decodeWithMpg123Split<T>(
  bytes: Uint8Array,
  expectedFrames: number,
  channels: number,
  use: (r: NativeDecodeResult) => T,
  onHead?: (head: Float32Array) => void,
): Promise<T | null> {
  const m = nativeMpg123();
  // One split at a time (its handle and buffer are its own); a concurrent call decodes on one thread.
  // Stereo only: on a lamejs mono tone the seeking handle's samples were not bit-identical (not yet understood).
  if (!m || splitBusy || channels !== 2 || expectedFrames < 8 * 1152 * 4) return null;
  splitBusy = true;
  const split = Math.floor(expectedFrames / 2);
  const size = (expectedFrames + 4096) * channels;
  if (splitScratch.length < size) splitScratch = new Float32Array(size);
  const out = splitScratch;
  const head = out.subarray(0, split * channels);
  const tail = out.subarray(split * channels, size);
  try {
    if (!startFeed(m, m.handle, bytes) || !startFeed(m, m.seekHandle, bytes)) return null;
    const inOffset = [0];
    if ((m.feedseek(m.seekHandle, split, 0, inOffset) as number) < 0) return null;
    const off = inOffset[0] as number;
    if (off < bytes.length && m.feed(m.seekHandle, bytes.subarray(off), bytes.length - off) !== MPG123_OK) return null;
    const done = [0];
    const tailRead = new Promise<number>((resolve, reject) => {
      (m.read as Fn & { async: Fn }).async(m.seekHandle, tail, tail.length * 4, done, (err: unknown, rc: number) => (err ? reject(err) : resolve(rc)));
    });
    const [headFilled, headRc] = readUntil(m, m.handle, head, 0, MPG123_OK);
    const rate = [0];
    const ch = [0];
    const enc = [0];
    const format = m.getformat(m.handle, rate, ch, enc) === MPG123_OK && ch[0] === channels && enc[0] === MPG123_ENC_FLOAT_32;
    m.close(m.handle); // before the await: a one-thread decode may take this handle meanwhile
    // The caller's work on the first half overlaps the second half's decoding.
    if (onHead && format && headFilled === head.length) onHead(head);
    const firstRc = await tailRead;
    const [tailFilled, tailRc] = readUntil(m, m.seekHandle, tail, (done[0] as number) / 4, firstRc);
    const clean = format && headFilled === head.length && headRc === MPG123_OK && (tailRc === MPG123_NEED_MORE || tailRc === MPG123_DONE);
    if (!clean) return null;
    const frames = split + Math.floor(tailFilled / channels);
    // `use` reads the shared buffer before the next split may write it.
    return use({ interleaved: out.subarray(0, frames * channels), channels, sampleRate: rate[0] as number, frames, warnings: [] });
  } finally {
    m.close(m.seekHandle);
    splitBusy = false;
  }
}
