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
  feed: Fn;
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

function bind(lib: KoffiLibrary): Omit<Mpg123Api, "lib" | "handle"> & { init: Fn; create: Fn; param: Fn } {
  return {
    init: lib.func("int mpg123_init(void)"),
    create: lib.func("void* mpg123_new(const char* decoder, _Out_ int* error)"),
    param: lib.func("int mpg123_param(void* mh, int type, long value, double fvalue)"),
    openFeed: lib.func("int mpg123_open_feed(void* mh)"),
    feed: lib.func("int mpg123_feed(void* mh, const uint8_t* in, size_t size)"),
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
    const err = [0];
    const handle = f.create(null, err);
    if (!handle) return null;
    const flags = MPG123_FORCE_FLOAT | MPG123_GAPLESS | MPG123_NO_FRANKENSTEIN | MPG123_QUIET;
    f.param(handle, MPG123_REMOVE_FLAGS, MPG123_AUTO_RESAMPLE, 1.0);
    f.param(handle, MPG123_ADD_FLAGS, flags, 1.0);
    api = { lib, handle, feed: f.feed, read: f.read, openFeed: f.openFeed, close: f.close, getformat: f.getformat, strerror: f.strerror };
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
