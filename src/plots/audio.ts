// One way to embed audio in a notebook or report: an HTML <audio> element with the samples inline as a
// data URI, a small mono MP3 (64 kbit/s, ≈8 kB per second: executed notebooks stay small) or a 16-bit WAV.
import { escapeHtml } from "../util/html";

/* eslint-disable @typescript-eslint/no-var-requires -- the MP3 encoder loads only when used */

/** 16-bit PCM mono WAV bytes (samples clipped to [−1, 1]). */
export function encodeWav16(pcm: ArrayLike<number>, sr: number): Uint8Array {
  if (!Number.isInteger(sr) || sr < 1) throw new RangeError(`encodeWav16: sample rate must be a positive integer, got ${sr}`);
  const n = pcm.length;
  const out = new Uint8Array(44 + 2 * n);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[offset + i] = s.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + 2 * n, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sr, true);
  view.setUint32(28, sr * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) {
    const v = Math.max(-1, Math.min(1, pcm[i]));
    view.setInt16(44 + 2 * i, Math.round(v < 0 ? v * 32768 : v * 32767), true);
  }
  return out;
}



export interface AudioExcerptOptions {
  /** Start of the excerpt in seconds (default 0). */
  startS?: number;
  /** Length in seconds (default 5). */
  seconds?: number;
  /** Label shown before the player (escaped). */
  caption?: string;
  /** "mp3" (default, small) or "wav" (exact 16-bit samples). */
  format?: "mp3" | "wav";
  /** Scale the peak to −1 dBFS (default false: only a peak above 0.99 is scaled down, the encoder clips at ±1). */
  normalise?: boolean;
}

/** An HTML `<audio>` element playing `seconds` of `pcm` from `startS`, inline as a data URI. */
export async function audioExcerptHtml(pcm: Float32Array, sampleRate: number, opts: AudioExcerptOptions = {}): Promise<string> {
  const start = Math.max(0, Math.min(pcm.length, Math.round((opts.startS ?? 0) * sampleRate)));
  const end = Math.min(pcm.length, start + Math.round((opts.seconds ?? 5) * sampleRate));
  const excerpt = pcm.slice(start, end);
  let peak = 0;
  for (let i = 0; i < excerpt.length; i++) peak = Math.max(peak, Math.abs(excerpt[i]));
  const target = opts.normalise ? Math.pow(10, -1 / 20) : 0.99;
  if (peak > 0 && (opts.normalise || peak > 0.99)) for (let i = 0; i < excerpt.length; i++) excerpt[i] *= target / peak;
  let uri: string;
  if (opts.format === "wav") {
    const wav = encodeWav16(excerpt, sampleRate);
    uri = `data:audio/wav;base64,${Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength).toString("base64")}`;
  } else {
    const { encodeMp3 } = require("../data/synth/mp3") as typeof import("../data/synth/mp3");
    const mp3 = await encodeMp3([excerpt], sampleRate, 64);
    uri = `data:audio/mpeg;base64,${Buffer.from(mp3).toString("base64")}`;
  }
  const caption = opts.caption ? `<span style="font-family:sans-serif;font-size:12px;margin-right:8px">${escapeHtml(opts.caption)}</span>` : "";
  return `<div style="display:flex;align-items:center;margin:2px 0">${caption}<audio controls preload="none" src="${uri}"></audio></div>`;
}
