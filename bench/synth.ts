// `npm run bench -- synth [--tracks N] [--duration SEC] [--seed S]`: per-clip cost of the synthetic
// dataset, split into rendering and MP3 encoding, in CPU time of this thread (robust to a busy machine,
// unlike wall time), with the file sizes; extrapolated to the default 400 tracks and to 8000.
import { parseArgs } from "node:util";
import { Rng } from "../src/util/random";
import { synthesizeTracks, synthTextureForJob, renderSynthTexture, encodeSynthMp3, synthTrackSeed, DEFAULT_SYNTH_TRACKS } from "../src/data/synth";
import { FMA_SMALL_GENRES } from "../src/data/schema";
import { median, peakRssMb } from "./stats";

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({ args: argv, options: { tracks: { type: "string" }, duration: { type: "string" }, seed: { type: "string" } } });
  const n = Number(values.tracks ?? 16);
  const duration = Number(values.duration ?? 30);
  const seed = Number(values.seed ?? 1);
  const tracks = synthesizeTracks({ tracks: Math.max(8, n), seed, withBadClips: false }).slice(0, n);
  const rows: Array<{ format: string; renderMs: number; encodeMs: number; bytes: number; genre: string }> = [];
  // Warm-up (JIT, WASM compile) on a short clip.
  await encodeSynthMp3(renderSynthTexture(synthTextureForJob({ seed, trackId: 1, genreTop: "Rock", subgenres: [], topGenres: [...FMA_SMALL_GENRES] }), new Rng(1), { sampleRate: 44100, channels: 2, duration: 2 }), 44100, 128);
  for (const t of tracks) {
    const c0 = process.cpuUsage();
    const tex = synthTextureForJob({ seed, trackId: t.trackId, genreTop: t.genreTop, subgenres: t.subgenres, topGenres: [...FMA_SMALL_GENRES] });
    const pcm = renderSynthTexture(tex, new Rng(synthTrackSeed(seed, t.trackId, 3)), { sampleRate: t.sampleRate, channels: t.channels, duration });
    const renderMs = cpuMs(c0);
    const c1 = process.cpuUsage();
    const mp3 = await encodeSynthMp3(pcm, t.sampleRate, t.kbps);
    const encodeMs = cpuMs(c1);
    rows.push({ format: `${t.sampleRate}Hz/${t.channels}ch/${t.kbps}k`, renderMs, encodeMs, bytes: mp3.length, genre: t.genreTop });
    process.stderr.write(`${t.trackId} ${t.genreTop} ${rows[rows.length - 1].format} render ${renderMs.toFixed(0)} ms, encode ${encodeMs.toFixed(0)} ms\n`);
  }
  const perClipMs = rows.map((r) => r.renderMs + r.encodeMs);
  const meanMs = perClipMs.reduce((a, b) => a + b, 0) / rows.length;
  const meanBytes = rows.reduce((a, r) => a + r.bytes, 0) / rows.length;
  const stereo441 = rows.filter((r) => r.format.startsWith("44100Hz/2ch"));
  const extrapolate = (count: number) => ({
    tracks: count,
    cpuSeconds: Math.round((count * meanMs) / 1000),
    wallSecondsOn2Cores: Math.round((count * meanMs) / 2000),
    megabytes: Math.round((count * meanBytes) / 1048576),
  });
  return {
    clips: rows.length,
    duration,
    medianRenderMs: Math.round(median(rows.map((r) => r.renderMs))),
    medianEncodeMs: Math.round(median(rows.map((r) => r.encodeMs))),
    meanClipMs: Math.round(meanMs),
    stereo44100: stereo441.length ? { clips: stereo441.length, medianRenderMs: Math.round(median(stereo441.map((r) => r.renderMs))), medianEncodeMs: Math.round(median(stereo441.map((r) => r.encodeMs))) } : null,
    meanClipKiB: Math.round(meanBytes / 1024),
    extrapolated: [extrapolate(DEFAULT_SYNTH_TRACKS), extrapolate(8000)],
    peakRssMb: peakRssMb(),
    note: "CPU time of one thread; with W workers, wall ≈ cpuSeconds / min(W, cores) on an idle machine",
  };
}
