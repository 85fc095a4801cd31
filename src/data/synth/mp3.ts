// MP3 encoding of synthetic clips with LAME compiled to WebAssembly (wasm-media-encoders), plus a small
// ID3v2.3 tag like FMA's clips carry. lamejs (pure JS) was measured ~6× slower for 44.1 kHz stereo
// (≈1.8 s per 30 s clip vs ≈0.3 s), which would dominate dataset generation.
import type { WasmMediaEncoder } from "wasm-media-encoders";

import { effectiveLameQuality, encodeWithLame, nativeLame } from "../../native/lame";
import type { AudioEngine } from "../../native/settings";

export type Mp3Bitrate = 64 | 96 | 128;

/** Which LAME 3.100 encodes: libmp3lame in-process, or its WebAssembly build (wasm-media-encoders). */
export type Mp3Encoder = "lame-native" | "lame-wasm";

/**
 * LAME's algorithm quality on the native path: 7 (`lame -f`), measured ≈2.2× faster than 5 on a 30 s stereo
 * clip (154 vs 338 ms, AMD EPYC) and ≈3.5× faster than the WASM build; ample for a synthetic dataset at 64–128 kbps.
 */
export const NATIVE_LAME_QUALITY = 7;

/** The encoder an audio-engine setting gives: `auto` = native when libmp3lame loads, `wasm` = never. */
export function resolveMp3Encoder(engine: AudioEngine): Mp3Encoder {
  if (engine === "wasm") return "lame-wasm";
  if (nativeLame()) return "lame-native";
  if (engine === "native") throw new Error("FMALAB_AUDIO=native: libmp3lame (Debian libmp3lame0, Homebrew lame) is not available for MP3 encoding");
  return "lame-wasm";
}

/** What synth.json records about an encoder. */
export function mp3EncoderInfo(encoder: Mp3Encoder): { name: Mp3Encoder; lame: string; quality: number | null } {
  if (encoder === "lame-native") return { name: encoder, lame: nativeLame()?.version ?? "unknown", quality: effectiveLameQuality(NATIVE_LAME_QUALITY) };
  return { name: encoder, lame: "3.100 (wasm-media-encoders)", quality: null };
}

let encoderPromise: Promise<WasmMediaEncoder<"audio/mpeg">> | null = null;

/** One encoder per thread, reused (configure() resets it). */
function encoder(): Promise<WasmMediaEncoder<"audio/mpeg">> {
  // Loaded on first use: the package inlines its WASM as a large base64 string.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (!encoderPromise) encoderPromise = (require("wasm-media-encoders") as typeof import("wasm-media-encoders")).createMp3Encoder();
  return encoderPromise;
}

/** Encode float PCM (one array per channel, values in [-1, 1]) as constant-bit-rate MP3 frames. */
export async function encodeMp3(channels: readonly Float32Array[], sampleRate: number, kbps: Mp3Bitrate, using: Mp3Encoder = "lame-wasm"): Promise<Uint8Array> {
  if (channels.length !== 1 && channels.length !== 2) throw new Error(`MP3 needs 1 or 2 channels, got ${channels.length}`);
  if (channels.length === 2 && channels[0].length !== channels[1].length) throw new Error(`MP3 channels differ in length: ${channels[0].length} vs ${channels[1].length}`);
  if (using === "lame-native") return encodeWithLame(channels, { sampleRate, kbps, quality: NATIVE_LAME_QUALITY });
  const enc = await encoder();
  // Keep the input rate (LAME would otherwise pick a lower one at low bit rates).
  enc.configure({ sampleRate, channels: channels.length as 1 | 2, bitrate: kbps, outputSampleRate: sampleRate as 44100 });
  const parts: Uint8Array[] = [];
  let total = 0;
  const block = 1152 * 64;
  const n = channels[0].length;
  for (let i = 0; i < n; i += block) {
    const chunk = enc.encode(channels.map((c) => c.subarray(i, Math.min(n, i + block))));
    parts.push(chunk.slice()); // the encoder owns the returned memory
    total += chunk.length;
  }
  const last = enc.finalize();
  parts.push(last.slice());
  total += last.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface Id3Fields {
  title?: string;
  artist?: string;
  album?: string;
  genre?: string;
  track?: string;
}

/** A minimal ID3v2.3 tag (TIT2/TPE1/TALB/TCON/TRCK, UTF-16 text) to put before the MP3 frames. */
export function id3v2Tag(fields: Id3Fields): Uint8Array {
  const frames: Uint8Array[] = [];
  const add = (id: string, text: string | undefined) => {
    if (!text) return;
    // Encoding 1 = UTF-16 with BOM.
    const body = new Uint8Array(1 + 2 + text.length * 2);
    body[0] = 1;
    body[1] = 0xff;
    body[2] = 0xfe;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      body[3 + 2 * i] = c & 0xff;
      body[4 + 2 * i] = c >>> 8;
    }
    const frame = new Uint8Array(10 + body.length);
    for (let i = 0; i < 4; i++) frame[i] = id.charCodeAt(i);
    const size = body.length;
    frame[4] = (size >>> 24) & 0xff;
    frame[5] = (size >>> 16) & 0xff;
    frame[6] = (size >>> 8) & 0xff;
    frame[7] = size & 0xff;
    frame.set(body, 10);
    frames.push(frame);
  };
  add("TIT2", fields.title);
  add("TPE1", fields.artist);
  add("TALB", fields.album);
  add("TCON", fields.genre);
  add("TRCK", fields.track);
  const bodyLen = frames.reduce((s, f) => s + f.length, 0);
  const tag = new Uint8Array(10 + bodyLen);
  tag.set([0x49, 0x44, 0x33, 3, 0, 0], 0); // "ID3" v2.3.0, no flags
  // Tag size: 4 × 7-bit "syncsafe" bytes.
  tag[6] = (bodyLen >>> 21) & 0x7f;
  tag[7] = (bodyLen >>> 14) & 0x7f;
  tag[8] = (bodyLen >>> 7) & 0x7f;
  tag[9] = bodyLen & 0x7f;
  let off = 10;
  for (const f of frames) {
    tag.set(f, off);
    off += f.length;
  }
  return tag;
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
