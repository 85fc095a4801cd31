// libsoxr (the C library python-soxr wraps, hence librosa's default res_type 'soxr_hq') called in-process
// through koffi, with the recipe python-soxr's resample(x, in, out, quality='HQ') uses and
// ../shared/reference/soxr_libsoxr.py reproduces: soxr_oneshot, soxr_quality_spec(SOXR_HQ = 4, 0),
// float32 in and out, one channel, default runtime; the output buffer holds ceil(n·out/in) samples and is
// cut to what soxr returns. librosa then fix_length()s that to ceil(n·ratio) (resample.ts does this).
import { loadKoffi, loadNativeLibrary, type LibraryCandidates } from "../native/library";

export const SOXR_CANDIDATES = {
  linux: ["libsoxr.so.0"],
  darwin: ["/opt/homebrew/lib/libsoxr.0.dylib", "/usr/local/lib/libsoxr.0.dylib", "libsoxr.0.dylib"],
};

const SOXR_HQ = 4;
const SOXR_FLOAT32_I = 0;

type Fn = (...args: unknown[]) => unknown;
interface SoxrApi {
  oneshot: Fn;
  io: unknown;
  quality: unknown;
}

let candidates: LibraryCandidates = SOXR_CANDIDATES;

/** Tests: forget the bound library and look for it among `c` next time (pair with resetNativeLibrariesForTests). */
export function resetSoxrForTests(c: LibraryCandidates = SOXR_CANDIDATES): void {
  candidates = c;
  api = undefined;
}

let api: SoxrApi | null | undefined;

/** The bound libsoxr, or null when it is absent or its symbols do not bind. */
export function nativeSoxr(): SoxrApi | null {
  if (api !== undefined) return api;
  api = null;
  const koffi = loadKoffi();
  const found = loadNativeLibrary("soxr", candidates);
  if (!koffi || !found) return null;
  try {
    // soxr.h: soxr_quality_spec_t and soxr_io_spec_t, returned by value.
    const Quality = koffi.struct("soxr_quality_spec_t", {
      precision: "double",
      phase_response: "double",
      passband_end: "double",
      stopband_begin: "double",
      e: "void*",
      flags: "unsigned long",
    });
    const Io = koffi.struct("soxr_io_spec_t", { itype: "int", otype: "int", scale: "double", e: "void*", flags: "unsigned long" });
    const lib = found.lib;
    const qualitySpec = lib.func("soxr_quality_spec", Quality, ["unsigned long", "unsigned long"]);
    const ioSpec = lib.func("soxr_io_spec", Io, ["int", "int"]);
    const oneshot = lib.func("soxr_oneshot", "const char*", [
      "double",
      "double",
      "unsigned int",
      "const float*",
      "size_t",
      "void*",
      "float*",
      "size_t",
      koffi.out(koffi.pointer("size_t")),
      koffi.pointer(Io),
      koffi.pointer(Quality),
      "void*",
    ]);
    api = { oneshot, io: ioSpec(SOXR_FLOAT32_I, SOXR_FLOAT32_I), quality: qualitySpec(SOXR_HQ, 0) };
  } catch {
    api = null;
  }
  return api;
}

/**
 * python-soxr's resample(x, fromRate, toRate, 'HQ') on mono float32: ceil(n·to/from) samples at most, cut to
 * what libsoxr produced. Throws when libsoxr is absent or reports an error.
 */
export function soxrResampleHQ(pcm: Float32Array, fromRate: number, toRate: number): Float32Array {
  const s = nativeSoxr();
  if (!s) throw new Error("libsoxr is not available");
  const olen = Math.ceil((pcm.length * toRate) / fromRate);
  const out = new Float32Array(olen);
  const done = [0];
  const err = s.oneshot(fromRate, toRate, 1, pcm, pcm.length, null, out, olen, done, s.io, s.quality, null) as string | null;
  if (err) throw new Error(`soxr_oneshot: ${err}`);
  const n = Number(done[0]);
  return n === olen ? out : out.subarray(0, n);
}
