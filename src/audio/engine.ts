// Which decoder and resampler run: the native libraries (libmpg123, libsoxr) when they load, else the WASM/JS
// twins, as `computeSettings().audio` says (auto | native | wasm). `native` with a library absent is an error
// that names the library; `auto` falls back with one notice. Resamplers are named with librosa's own
// res_type strings; what actually ran is returned so callers (cache params, bench, report) can record it.
import { computeSettings, type AudioEngine } from "../native/settings";
import { nativeFindings, noticeOnce } from "../native/library";
import { nativeMpg123 } from "./mpg123-native";
import { nativeSoxr } from "./soxr-native";

/** librosa's res_type names: soxr_hq (librosa's default, libsoxr), kaiser_best / kaiser_fast (resampy's filters). */
export type ResType = "soxr_hq" | "kaiser_best" | "kaiser_fast";
export const RES_TYPES: readonly ResType[] = ["soxr_hq", "kaiser_best", "kaiser_fast"];

export type DecoderName = "libmpg123" | "mpg123-wasm";

function libraryError(lib: string): string {
  const f = nativeFindings().find((x) => x.name === lib);
  return f?.error ? ` (${f.error})` : "";
}

/** The decoder for this engine setting (default: the process settings). */
export function resolveDecoder(engine: AudioEngine = computeSettings().audio): DecoderName {
  if (engine === "wasm") return "mpg123-wasm";
  if (nativeMpg123()) return "libmpg123";
  if (engine === "native") {
    throw new Error(`FMALAB_AUDIO=native: libmpg123 could not be loaded${libraryError("mpg123")}; install libmpg123-0 (Debian) or mpg123 (Homebrew)`);
  }
  noticeOnce("audio-decoder", `libmpg123 not found${libraryError("mpg123")}; decoding MP3 with the WASM mpg123 (slower, same samples within 5e-6)`);
  return "mpg123-wasm";
}

/**
 * The resampler that runs for a requested res_type (undefined: librosa's default, soxr_hq). soxr_hq needs
 * libsoxr: without it, `auto` falls back to kaiser_best with one notice, `native` is an error, and `wasm`
 * (the all-WASM path) uses kaiser_best when the default was asked for and refuses an explicit soxr_hq.
 */
export function resolveResampler(requested: ResType | undefined, engine: AudioEngine = computeSettings().audio): ResType {
  if (requested !== undefined && !RES_TYPES.includes(requested)) {
    throw new RangeError(`res_type must be one of ${RES_TYPES.join(", ")}, got ${String(requested)}`);
  }
  const want = requested ?? "soxr_hq";
  if (want !== "soxr_hq") return want;
  if (engine === "wasm") {
    if (requested === "soxr_hq") throw new Error("res_type soxr_hq needs libsoxr (native), but FMALAB_AUDIO=wasm forces the WASM path; use kaiser_best");
    return "kaiser_best";
  }
  if (nativeSoxr()) return "soxr_hq";
  if (engine === "native") {
    throw new Error(`FMALAB_AUDIO=native: libsoxr could not be loaded${libraryError("soxr")}; install libsoxr0 (Debian) or libsoxr (Homebrew)`);
  }
  noticeOnce("audio-resampler", `libsoxr not found${libraryError("soxr")}; resampling with kaiser_best instead of librosa's default soxr_hq (log-mel differs by ~0.2 dB mean)`);
  return "kaiser_best";
}

/** Both choices at once, for records (params.json, bench JSON). */
export function audioPathFor(requested: ResType | undefined, engine: AudioEngine = computeSettings().audio): { decoder: DecoderName; resampler: ResType } {
  return { decoder: resolveDecoder(engine), resampler: resolveResampler(requested, engine) };
}
