// libmp3lame (the LAME MP3 encoder, Debian's libmp3lame0, Homebrew's lame) called in-process through koffi:
// the native twin of the LAME 3.100 that wasm-media-encoders compiles to WebAssembly (src/data/synth/mp3.ts).
// Set up as that WASM build sets itself up (CBR at the asked bit rate, the input sample rate, 1 or 2 channels,
// no ID3 tag), plus the LAME/Info tag frame that gapless decoders (libmpg123, hence libsndfile and librosa)
// use to drop the encoder delay and padding. The whole clip goes to LAME in one call. Each thread binds the
// library itself (koffi handles do not cross worker threads).
import { loadNativeLibrary, type KoffiLibrary, type LibraryCandidates, type NativeLibrary } from "./library";

/** Where libmp3lame is looked for: Debian/Ubuntu's soname, then Homebrew's (Apple silicon, Intel) dylibs. */
export const LAME_CANDIDATES: LibraryCandidates = {
  linux: ["libmp3lame.so.0"],
  darwin: ["/opt/homebrew/lib/libmp3lame.0.dylib", "/usr/local/lib/libmp3lame.0.dylib", "libmp3lame.0.dylib", "libmp3lame.dylib"],
};

/** MPEG-1/2/2.5 sample rates: LAME would resample anything else, and we keep the input rate. */
export const MP3_SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** The CBR bit rates (kbps) of MPEG-1 (32–48 kHz) and of MPEG-2/2.5 (≤ 24 kHz). */
const MPEG1_KBPS = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

type Fn = (...args: unknown[]) => unknown;

interface LameFns {
  init: Fn;
  close: Fn;
  setInt: Record<"num_channels" | "in_samplerate" | "out_samplerate" | "brate" | "quality" | "VBR" | "bWriteVbrTag" | "findReplayGain", Fn>;
  setId3Automatic: Fn;
  initParams: Fn;
  getQuality: Fn;
  encodeFloat: Fn;
  flush: Fn;
  lametagFrame: Fn;
  version: Fn;
}

export interface NativeLame {
  lib: NativeLibrary;
  /** get_lame_version(): "3.100" on Debian 12. */
  version: string;
  fns: LameFns;
}

let candidates: LibraryCandidates = LAME_CANDIDATES;
let api: NativeLame | null | undefined;

/** Tests: forget the bound library and look for it among `c` next time (pair with resetNativeLibrariesForTests). */
export function resetLameForTests(c: LibraryCandidates = LAME_CANDIDATES): void {
  candidates = c;
  api = undefined;
}

function bind(lib: KoffiLibrary): LameFns {
  const setter = (name: string) => lib.func(`int lame_set_${name}(void* gfp, int value)`);
  return {
    init: lib.func("void* lame_init(void)"),
    close: lib.func("int lame_close(void* gfp)"),
    setInt: {
      num_channels: setter("num_channels"),
      in_samplerate: setter("in_samplerate"),
      out_samplerate: setter("out_samplerate"),
      brate: setter("brate"),
      quality: setter("quality"),
      VBR: setter("VBR"),
      bWriteVbrTag: setter("bWriteVbrTag"),
      findReplayGain: setter("findReplayGain"),
    },
    setId3Automatic: lib.func("void lame_set_write_id3tag_automatic(void* gfp, int value)"),
    initParams: lib.func("int lame_init_params(void* gfp)"),
    getQuality: lib.func("int lame_get_quality(void* gfp)"),
    encodeFloat: lib.func("int lame_encode_buffer_ieee_float(void* gfp, const float* left, const float* right, int nsamples, uint8_t* mp3buf, int size)"),
    flush: lib.func("int lame_encode_flush(void* gfp, uint8_t* mp3buf, int size)"),
    lametagFrame: lib.func("size_t lame_get_lametag_frame(void* gfp, uint8_t* buffer, size_t size)"),
    version: lib.func("const char* get_lame_version(void)"),
  };
}

/** libmp3lame bound in this thread, or null when it is absent or its symbols do not bind. Never throws. */
export function nativeLame(): NativeLame | null {
  if (api !== undefined) return api;
  api = null;
  const lib = loadNativeLibrary("mp3lame", candidates);
  if (!lib) return null;
  try {
    const fns = bind(lib.lib);
    api = { lib, fns, version: String(fns.version()) };
  } catch {
    api = null;
  }
  return api;
}

export interface LameEncodeOptions {
  sampleRate: number;
  kbps: number;
  /** LAME's algorithm quality, 0 (best, slowest) … 9 (fastest). */
  quality: number;
}

/** What LAME's negative return codes mean (lame.h). */
function lameError(rc: number): string {
  const what: Record<number, string> = {
    [-1]: "the output buffer is too small",
    [-2]: "out of memory",
    [-3]: "lame_init_params was not called",
    [-4]: "psychoacoustic model problem",
  };
  return `${rc} (${what[rc] ?? "unknown error"})`;
}

/** Throws a RangeError naming what is wrong with a sample rate / bit rate pair (shared with the WASM path). */
export function checkMp3Format(sampleRate: number, kbps: number): void {
  if (!MP3_SAMPLE_RATES.includes(sampleRate)) {
    throw new RangeError(`MP3 encoding: sample rate ${sampleRate} Hz is not an MPEG rate (${MP3_SAMPLE_RATES.join(", ")})`);
  }
  const rates = sampleRate >= 32000 ? MPEG1_KBPS : MPEG2_KBPS;
  if (!rates.includes(kbps)) throw new RangeError(`MP3 encoding: ${kbps} kbps is not a CBR bit rate at ${sampleRate} Hz (${rates.join(", ")})`);
}

let outScratch = new Uint8Array(0);

/**
 * Encode float PCM (1 or 2 channels of equal length, already checked by the caller) with libmp3lame: CBR
 * frames, the first one the LAME/Info tag. Returns a fresh array.
 */
export function encodeWithLame(channels: readonly Float32Array[], opts: LameEncodeOptions): Uint8Array {
  const lame = nativeLame();
  if (!lame) throw new Error("libmp3lame is not available");
  checkMp3Format(opts.sampleRate, opts.kbps);
  const f = lame.fns;
  const n = channels[0].length;
  const gfp = f.init();
  if (!gfp) throw new Error("lame_init failed (out of memory?)");
  try {
    f.setInt.num_channels(gfp, channels.length);
    f.setInt.in_samplerate(gfp, opts.sampleRate);
    f.setInt.out_samplerate(gfp, opts.sampleRate);
    f.setInt.VBR(gfp, 0); // vbr_off: constant bit rate
    f.setInt.brate(gfp, opts.kbps);
    f.setInt.quality(gfp, opts.quality);
    f.setInt.bWriteVbrTag(gfp, 1);
    f.setInt.findReplayGain(gfp, 0);
    f.setId3Automatic(gfp, 0);
    const init = f.initParams(gfp) as number;
    if (init < 0) throw new Error(`lame_init_params failed: ${init} (${channels.length} ch, ${opts.sampleRate} Hz, ${opts.kbps} kbps)`);
    // lame.h's worst case for one call: 1.25·n + 7200 bytes, plus room for the flush.
    const size = Math.ceil(1.25 * n) + 7200 + 16384;
    if (outScratch.length < size) outScratch = new Uint8Array(size);
    const out = outScratch;
    const right = channels.length === 2 ? channels[1] : channels[0];
    const body = f.encodeFloat(gfp, channels[0], right, n, out, out.length) as number;
    if (body < 0) throw new Error(`lame_encode_buffer_ieee_float failed: ${lameError(body)}`);
    const tail = f.flush(gfp, out.subarray(body), out.length - body) as number;
    if (tail < 0) throw new Error(`lame_encode_flush failed: ${lameError(tail)}`);
    const bytes = out.slice(0, body + tail);
    // The stream starts with an empty frame of the tag's size; LAME fills the tag in only now (the command-line
    // lame seeks back in its file to write it; we patch our buffer).
    const tag = new Uint8Array(8192);
    const tagLength = Number(f.lametagFrame(gfp, tag, tag.length));
    if (tagLength > 0 && tagLength <= bytes.length) bytes.set(tag.subarray(0, tagLength), 0);
    return bytes;
  } finally {
    f.close(gfp);
  }
}

/** The quality LAME actually runs at for a requested one (it maps some levels, e.g. 8 → 7). */
export function effectiveLameQuality(quality: number): number | null {
  const lame = nativeLame();
  if (!lame) return null;
  const f = lame.fns;
  const gfp = f.init();
  if (!gfp) return null;
  try {
    f.setInt.num_channels(gfp, 2);
    f.setInt.in_samplerate(gfp, 44100);
    f.setInt.out_samplerate(gfp, 44100);
    f.setInt.VBR(gfp, 0);
    f.setInt.brate(gfp, 128);
    f.setInt.quality(gfp, quality);
    if ((f.initParams(gfp) as number) < 0) return null;
    return f.getQuality(gfp) as number;
  } finally {
    f.close(gfp);
  }
}
