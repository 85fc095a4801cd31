// `npm run bench -- audio [--clips DIR] [--runs N] [--workers N] [--no-cache] [--synthetic]`
// Per 30 s clip, medians over runs (then the median over clips): mp3 decode, 44.1k → 22.05k resample,
// log-mel from 22.05 kHz PCM, the meyda clip features, mp3 → log-mel dB end to end; cache build
// throughput (src/features/cache.ts benchCacheThroughput), peak RSS, and parity with librosa's dB over
// the 8 sample clips when ../shared is present. Default clips: ../shared/fma-sample/audio, else a
// synthetic 30 s MP3 made with lamejs in a temp folder. For comparison, on the same clips and runs: librosa's
// pipeline (bench/librosa/pipeline_reference.py, when /usr/bin/python3 has soundfile, scipy and numpy) and
// the native libmpg123 decode floor (the `mpg123` CLI, when installed).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { decodeMp3, resample, toMono } from "../src/audio";
import { logMelSpectrogram } from "../src/features/melspec";
import { sharedDir } from "../src/util/fs";
import { median, peakRssMb } from "./stats";
import { absErrorStats, encodeToneMp3, readF32 } from "../tests/helpers/audio-reference";

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// CPU milliseconds of each timed stage, keyed by the stage; filled by time/timeAsync via `cpuInto`.
let cpuLast = 0;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function time<T>(fn: () => T): [T, number] {
  const c0 = cpuNow();
  const t0 = performance.now();
  const out = fn();
  const wall = performance.now() - t0;
  cpuLast = cpuNow() - c0;
  return [out, wall];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const c0 = cpuNow();
  const t0 = performance.now();
  const out = await fn();
  const wall = performance.now() - t0;
  cpuLast = cpuNow() - c0;
  return [out, wall];
}

type ClipFeaturesFn = (pcm: Float32Array, sampleRate: number) => unknown;

async function loadClipFeatures(): Promise<{ fn: ClipFeaturesFn | null; reason: string | null }> {
  try {
    const mod = (await import("../src/features/meyda")) as { clipFeatures?: ClipFeaturesFn };
    if (typeof mod.clipFeatures !== "function") return { fn: null, reason: "src/features/meyda.ts has no clipFeatures" };
    return { fn: mod.clipFeatures, reason: null };
  } catch (err) {
    return { fn: null, reason: `src/features/meyda.ts not loadable: ${(err as Error).message}` };
  }
}

async function cacheThroughput(dir: string, workers: number): Promise<{ value: number | null; reason: string | null }> {
  try {
    const mod = (await import("../src/features/cache")) as { benchCacheThroughput?: (d: string, w: number) => Promise<number> };
    if (typeof mod.benchCacheThroughput !== "function") return { value: null, reason: "src/features/cache.ts has no benchCacheThroughput" };
    return { value: round(await mod.benchCacheThroughput(dir, workers), 2), reason: null };
  } catch (err) {
    return { value: null, reason: `cache bench failed: ${(err as Error).message}` };
  }
}

const PYTHON = "/usr/bin/python3";

/** bench/librosa/pipeline_reference.py's JSON on the same clips, or why there is none. */
function librosaPipeline(clipsDir: string, runs: number): { json: Record<string, unknown> | null; note: string | null } {
  const probe = spawnSync(PYTHON, ["-c", "import soundfile, scipy, numpy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    return {
      json: null,
      note: `not measured: ${PYTHON} cannot import soundfile, scipy and numpy (Debian: apt-get install python3-soundfile python3-scipy)`,
    };
  }
  process.stderr.write("librosa pipeline reference (python3)…\n");
  const script = path.join(__dirname, "librosa", "pipeline_reference.py");
  const child = spawnSync(PYTHON, [script, "--clips", clipsDir, "--runs", String(runs)], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) {
    const why = child.error?.message ?? child.stderr.trim().split("\n").slice(-1)[0];
    return { json: null, note: `librosa pipeline reference failed: ${why}` };
  }
  return { json: JSON.parse(child.stdout) as Record<string, unknown>, note: null };
}

/** Wall milliseconds of one run of a command (it must succeed). */
function timeCommand(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
  return ms;
}

/**
 * The native decode floor: `mpg123 -q -t -m -2 CLIP` (decode only, mono mix, 2:1 down-sampling) per clip,
 * median over runs scaled to 30 s, then over clips; and `mpg123 --version` as the process start cost.
 */
function nativeMpg123(clipsDir: string, durations: Map<string, number>, runs: number): { decodeMs: number | null; startMs: number | null; note: string } {
  const note = "native libmpg123 (AVX), mono mix + 2:1 down-sampling, the least decoding work possible; includes process start";
  const probe = spawnSync("mpg123", ["--version"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) return { decodeMs: null, startMs: null, note: "not measured: no mpg123 CLI (Debian: apt-get install mpg123)" };
  process.stderr.write("native mpg123 decode floor…\n");
  try {
    const starts: number[] = [];
    for (let i = 0; i < Math.max(5, runs); i++) starts.push(timeCommand("mpg123", ["--version"]));
    const perClip: number[] = [];
    for (const [file, durationS] of durations) {
      const args = ["-q", "-t", "-m", "-2", path.join(clipsDir, file)];
      timeCommand("mpg123", args); // page cache, binary and libraries warm
      const ms: number[] = [];
      for (let r = 0; r < runs; r++) ms.push(timeCommand("mpg123", args) * (30 / durationS));
      perClip.push(median(ms));
    }
    return { decodeMs: round(median(perClip)), startMs: round(median(starts)), note };
  } catch (err) {
    return { decodeMs: null, startMs: null, note: `mpg123 failed: ${(err as Error).message}` };
  }
}

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      clips: { type: "string" },
      runs: { type: "string", default: "3" },
      workers: { type: "string", default: "2" },
      "no-cache": { type: "boolean", default: false },
      synthetic: { type: "boolean", default: false },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  const shared = sharedDir();
  const sampleDir = shared ? path.join(shared, "fma-sample", "audio") : null;
  let clipsDir = values.synthetic ? null : values.clips ?? (sampleDir && fs.existsSync(sampleDir) ? sampleDir : null);
  let tmp: string | null = null;
  if (!clipsDir) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-audio-bench-"));
    process.stderr.write("no clips folder: encoding a synthetic 30 s MP3 with lamejs\n");
    fs.writeFileSync(
      path.join(tmp, "000001.mp3"),
      encodeToneMp3({ sampleRate: 44100, channels: 2, durationS: 30, freqs: [110, 440, 1760, 7040] }),
    );
    clipsDir = tmp;
  }
  try {
    const files = fs.readdirSync(clipsDir).filter((f) => /\.mp3$/i.test(f)).sort();
    if (files.length === 0) throw new Error(`no .mp3 files in ${clipsDir}`);
    const features = await loadClipFeatures();
    const keys = ["decode", "resample", "resample_fast", "logmel", "features", "end_to_end"];
    const per: Record<string, number[]> = {};
    for (const k of keys) { per[k] = []; per[`${k}_cpu`] = []; }
    const refDir = shared ? path.join(shared, "reference", "clips") : null;
    const dbErrors: number[] = [];
    let dbSum = 0;
    let dbCount = 0;
    let refClips = 0;
    const durations = new Map<string, number>();
    // Warm-up: JIT, WASM instantiation, resampler tables, FFT plans.
    {
      const bytes = new Uint8Array(fs.readFileSync(path.join(clipsDir, files[0])));
      const d = await decodeMp3(bytes, files[0]);
      const y = resample(toMono(d.channels), d.sampleRate, 22050);
      resample(toMono(d.channels), d.sampleRate, 22050, "fast");
      logMelSpectrogram(y);
      features.fn?.(y, 22050);
    }
    for (const file of files) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(clipsDir, file)));
      const clip: Record<string, number[]> = {};
      for (const k of keys) { clip[k] = []; clip[`${k}_cpu`] = []; }
      let lastDb: Float32Array | null = null;
      for (let r = 0; r < runs; r++) {
        const [decoded, tDecode] = await timeAsync(() => decodeMp3(bytes, file));
        const cDecode = cpuLast;
        const [mono, tMono] = time(() => toMono(decoded.channels));
        const cMono = cpuLast;
        // resample_ms is 44.1k → 22.05k of 30 s: use the clip when it is 44.1 kHz, else a 30 s stand-in.
        const src44 = decoded.sampleRate === 44100 ? mono : new Float32Array(30 * 44100).map((_, i) => Math.sin(i * 0.05) * 0.3);
        const [y44, tResample] = time(() => resample(src44, 44100, 22050));
        const cResample = cpuLast;
        const [, tResampleFast] = time(() => resample(src44, 44100, 22050, "fast"));
        const cResampleFast = cpuLast;
        const [y, tOwnResample] = decoded.sampleRate === 44100 ? [y44, tResample] : time(() => resample(mono, decoded.sampleRate, 22050));
        const cOwnResample = decoded.sampleRate === 44100 ? cResample : cpuLast;
        const [db, tLogmel] = time(() => logMelSpectrogram(y));
        const cLogmel = cpuLast;
        if (features.fn) {
          const fn = features.fn;
          clip.features.push(time(() => fn(y, 22050))[1]);
          clip.features_cpu.push(cpuLast);
        }
        const scale = 30 / decoded.durationS; // normalise to a 30 s clip
        durations.set(file, decoded.durationS);
        const scale44 = (30 * 44100) / src44.length;
        clip.decode.push(tDecode * scale);
        clip.decode_cpu.push(cDecode * scale);
        clip.resample.push(tResample * scale44);
        clip.resample_cpu.push(cResample * scale44);
        clip.resample_fast.push(tResampleFast * scale44);
        clip.resample_fast_cpu.push(cResampleFast * scale44);
        clip.logmel.push(tLogmel * scale);
        clip.logmel_cpu.push(cLogmel * scale);
        clip.end_to_end.push((tDecode + tMono + tOwnResample + tLogmel) * scale);
        clip.end_to_end_cpu.push((cDecode + cMono + cOwnResample + cLogmel) * scale);
        lastDb = db.data;
      }
      for (const k of Object.keys(per)) if (clip[k].length) per[k].push(median(clip[k]));
      const refFile = refDir ? path.join(refDir, `${path.basename(file, ".mp3")}.logmel_db.f32`) : null;
      if (lastDb && refFile && fs.existsSync(refFile)) {
        const ref = readF32(refFile);
        const n = Math.min(ref.length, lastDb.length);
        for (let i = 0; i < n; i++) {
          const d = Math.abs(lastDb[i] - ref[i]);
          dbSum += d;
          dbCount++;
          dbErrors.push(d);
        }
        refClips++;
        const s = absErrorStats(lastDb, ref);
        process.stderr.write(`${file}: dB vs librosa mean ${s.mean.toExponential(2)} max ${s.max.toFixed(4)}\n`);
      }
      process.stderr.write(
        `${file}: decode ${round(median(clip.decode))} ms, resample ${round(median(clip.resample))} ms, logmel ${round(median(clip.logmel))} ms, end-to-end ${round(median(clip.end_to_end))} ms\n`,
      );
    }
    let vsLibrosa: unknown = null;
    if (refClips > 0) {
      dbErrors.sort((a, b) => a - b);
      vsLibrosa = {
        mean_abs_db: Number((dbSum / dbCount).toExponential(3)),
        p99_abs_db: Number(dbErrors[Math.floor(0.99 * (dbErrors.length - 1))].toExponential(3)),
        max_abs_db: Number(dbErrors[dbErrors.length - 1].toExponential(3)),
        clips: refClips,
      };
    }
    const ours = { decode: median(per.decode), logmel: median(per.logmel), end_to_end: median(per.end_to_end) };
    const librosa = librosaPipeline(clipsDir, runs);
    const ratio = (key: string, ourMs: number): number | null => {
      const v = librosa.json?.[`${key}_ms`];
      return typeof v === "number" && ourMs > 0 ? round(v / ourMs, 2) : null;
    };
    const native = nativeMpg123(clipsDir, durations, runs);
    // Cache build throughput with 1 worker and with --workers (default 2): {"1": …, "2": …} clips/s.
    const cache: { value: Record<string, number | null> | null; reason: string | null } = { value: null, reason: "skipped (--no-cache)" };
    if (!values["no-cache"]) {
      cache.value = {};
      cache.reason = null;
      for (const w of [...new Set([1, Number(values.workers)])]) {
        process.stderr.write(`cache build throughput over ${files.length} clips with ${w} worker${w === 1 ? "" : "s"}…\n`);
        const r = await cacheThroughput(clipsDir, w);
        cache.value[String(w)] = r.value;
        if (r.reason) cache.reason = [cache.reason, `${w} workers: ${r.reason}`].filter(Boolean).join("; ");
      }
    }
    return {
      clips: files.length,
      clips_dir: tmp ? "synthetic (lamejs, 30 s)" : clipsDir,
      runs,
      per_30s_clip_ms: "medians over runs, then over clips; durations scaled to 30 s",
      decode_ms: round(median(per.decode)),
      resample_ms: round(median(per.resample)),
      logmel_ms: round(median(per.logmel)),
      features_ms: features.fn ? round(median(per.features)) : null,
      ...(features.reason ? { features_note: features.reason } : {}),
      end_to_end_ms: round(median(per.end_to_end)),
      resample_fast_ms: round(median(per.resample_fast)),
      cpu_ms: {
        note: "process CPU time of the same stages: less inflated than wall time when other processes share the cores",
        decode: round(median(per.decode_cpu)),
        resample: round(median(per.resample_cpu)),
        resample_fast: round(median(per.resample_fast_cpu)),
        logmel: round(median(per.logmel_cpu)),
        features: features.fn ? round(median(per.features_cpu)) : null,
        end_to_end: round(median(per.end_to_end_cpu)),
      },
      cache_clips_per_s: cache.value,
      ...(cache.reason ? { cache_note: cache.reason } : {}),
      peak_rss_mb: peakRssMb(),
      vs_librosa: vsLibrosa,
      librosa_pipeline: librosa.json,
      ...(librosa.note ? { librosa_pipeline_note: librosa.note } : {}),
      // librosa's ms / ours (> 1: we are faster).
      speedup_vs_librosa: librosa.json
        ? {
            end_to_end: ratio("end_to_end", ours.end_to_end),
            logmel: ratio("logmel", ours.logmel),
            decode: ratio("decode", ours.decode),
          }
        : null,
      native_mpg123_decode_ms: native.decodeMs,
      native_mpg123_process_start_ms: native.startMs,
      native_mpg123_note: native.note,
      cpus: os.cpus().length,
      load_avg_1m: round(os.loadavg()[0], 2),
    };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
