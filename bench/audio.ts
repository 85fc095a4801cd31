// `npm run bench -- audio [--clips DIR] [--runs N] [--workers N] [--no-cache] [--synthetic] [--engines native,wasm]`
// Per 30 s clip, medians over runs (then the median over clips), for each audio engine:
//   native  libmpg123 decode + libsoxr soxr_hq resample (librosa's default path, in-process);
//   wasm    the WASM mpg123 + our kaiser_best reimplementation (the fallback where the libraries are absent);
// the stages mp3 decode, mono + resample to 22.05 kHz, log-mel from PCM, end to end, and parity with what
// librosa gives on that path (../shared/reference/clips-soxr_hq for soxr_hq, clips/ for kaiser_best). Then,
// once: the meyda clip features, the cache build throughput (features included) with 1 and --workers
// workers, and peak RSS. For comparison on the same clips, in the same run: librosa's pipeline
// (bench/librosa/pipeline_reference.py) with res_type soxr_hq (its default; python-soxr, or the libsoxr
// stand-in from ../shared) and polyphase, its best path, and each engine's speed-up over that best path;
// and the mpg123 CLI's decode floor. Default clips: ../shared/fma-sample/audio, else a synthetic 30 s MP3.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { decodeMp3, resampleAs, resolveResampler, toMono, type DecoderName, type ResType } from "../src/audio";
import { configureCompute, computeSettings, type AudioEngine } from "../src/native/settings";
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

// Clips per cache-throughput measurement: the sample's 8 clips repeated (symlinks under new track ids), so
// starting the workers (≈1 s: tsx compiles them) is not most of what is measured.
const CACHE_BENCH_CLIPS = 48;

async function cacheThroughput(dir: string, workers: number): Promise<{ value: number | null; reason: string | null }> {
  const sources = fs.readdirSync(dir).filter((f) => /\.mp3$/i.test(f)).sort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cache-clips-"));
  try {
    const count = Math.max(CACHE_BENCH_CLIPS, sources.length);
    for (let i = 0; i < count; i++) fs.symlinkSync(path.resolve(dir, sources[i % sources.length]), path.join(tmp, `${String(i + 1).padStart(6, "0")}.mp3`));
    const mod = (await import("./helpers/cache-throughput")) as { cacheThroughput?: (d: string, w: number) => Promise<number> };
    if (typeof mod.cacheThroughput !== "function") return { value: null, reason: "bench/helpers/cache-throughput.ts has no cacheThroughput" };
    return { value: round(await mod.cacheThroughput(tmp, workers), 2), reason: null };
  } catch (err) {
    return { value: null, reason: `cache bench failed: ${(err as Error).message}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const PYTHON = "/usr/bin/python3";

/**
 * A folder for PYTHONPATH holding `soxr`: none when python3 imports the real python-soxr, else the libsoxr
 * stand-in from ../shared/reference copied in as soxr.py; null when neither exists.
 */
function soxrPythonPath(): { dir: string | null; note: string } | null {
  if (spawnSync(PYTHON, ["-c", "import soxr"], { stdio: "ignore" }).status === 0) return { dir: null, note: "python-soxr" };
  const shared = sharedDir();
  const shim = shared ? path.join(shared, "reference", "soxr_libsoxr.py") : null;
  if (!shim || !fs.existsSync(shim)) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-soxr-"));
  fs.copyFileSync(shim, path.join(dir, "soxr.py"));
  return { dir, note: "libsoxr through ../shared/reference/soxr_libsoxr.py (python-soxr's soxr_oneshot call)" };
}

/** bench/librosa/pipeline_reference.py's JSON for one res_type on the same clips, or why there is none. */
function librosaPipeline(clipsDir: string, runs: number, resType: "soxr_hq" | "polyphase"): { json: Record<string, unknown> | null; note: string | null } {
  const probe = spawnSync(PYTHON, ["-c", "import soundfile, scipy, numpy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    return {
      json: null,
      note: `not measured: ${PYTHON} cannot import soundfile, scipy and numpy (Debian: apt-get install python3-soundfile python3-scipy libsndfile1)`,
    };
  }
  const soxr = resType === "soxr_hq" ? soxrPythonPath() : { dir: null, note: "" };
  if (!soxr) return { json: null, note: "soxr_hq not measured: python3 has no soxr and ../shared/reference/soxr_libsoxr.py is absent" };
  process.stderr.write(`librosa pipeline reference (python3, res_type ${resType})…\n`);
  try {
    const script = path.join(__dirname, "librosa", "pipeline_reference.py");
    const env = soxr.dir ? { ...process.env, PYTHONPATH: [soxr.dir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) } : process.env;
    const child = spawnSync(PYTHON, [script, "--clips", clipsDir, "--runs", String(runs), "--res-type", resType], { encoding: "utf8", maxBuffer: 1 << 24, env });
    if (child.status !== 0) {
      const why = child.error?.message ?? child.stderr.trim().split("\n").slice(-1)[0];
      return { json: null, note: `librosa pipeline reference (${resType}) failed: ${why}` };
    }
    const json = JSON.parse(child.stdout) as Record<string, unknown>;
    if (soxr.note) json.soxr = soxr.note;
    return { json, note: null };
  } finally {
    if (soxr.dir) fs.rmSync(soxr.dir, { recursive: true, force: true });
  }
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

interface EngineMeasurement {
  /** Native decode threads of the stages below (2, the default for one clip). */
  threads?: number;
  one_thread?: { decode_ms: number; end_to_end_ms: number; cpu_end_to_end_ms: number };
  engine: AudioEngine;
  decoder: DecoderName;
  resampler: ResType;
  decode_ms: number;
  /** Resample to 22.05 kHz (decode_ms includes the mono mix). */
  mono_resample_ms: number;
  logmel_ms: number;
  end_to_end_ms: number;
  cpu_ms: { decode: number; mono_resample: number; logmel: number; end_to_end: number };
  /** Our dB against librosa's on the same res_type (the reference folder named), when present. */
  vs_reference: { reference: string; mean_abs_db: number; p99_abs_db: number; max_abs_db: number; clips: number } | null;
  /** librosa's best end to end / ours (> 1: we are faster), in this run. */
  speedup_vs_librosa_best?: number | null;
  /** The last run's 22.05 kHz PCM per clip (the features run on it). */
  pcm: Map<string, Float32Array>;
}

/** Stage timings of one engine over the clips (medians over runs, then clips) and its parity. */
async function measureEngine(engine: AudioEngine, clipsDir: string, files: string[], runs: number, shared: string | null, threads: 1 | 2 = 2): Promise<EngineMeasurement> {
  configureCompute({ audio: engine });
  const resampler = resolveResampler(undefined, engine);
  const per = { decode: [] as number[], mono: [] as number[], logmel: [] as number[], e2e: [] as number[], cDecode: [] as number[], cMono: [] as number[], cLogmel: [] as number[], cE2e: [] as number[] };
  const refName = resampler === "soxr_hq" ? "clips-soxr_hq" : resampler === "kaiser_best" ? "clips" : null;
  const refDir = shared && refName ? path.join(shared, "reference", refName) : null;
  const errors: number[] = [];
  let refClips = 0;
  let decoder: DecoderName = "mpg123-wasm";
  const pcm = new Map<string, Float32Array>();
  // Warm-up: JIT, WASM instantiation, resampler tables, FFT plans, library loading.
  {
    const d = await decodeMp3(new Uint8Array(fs.readFileSync(path.join(clipsDir, files[0]))), files[0], { engine });
    logMelSpectrogram(resampleAs(toMono(d.channels), d.sampleRate, 22050, resampler));
  }
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(clipsDir, file)));
    const clip = { decode: [] as number[], mono: [] as number[], logmel: [] as number[], cDecode: [] as number[], cMono: [] as number[], cLogmel: [] as number[] };
    let last: Float32Array | null = null;
    let scale = 1;
    for (let r = 0; r < runs; r++) {
      // As loadAudioBytes: decoded and mixed to mono in one step (the native path mixes libmpg123's output).
      const [decoded, tDecode] = await timeAsync(() => decodeMp3(bytes, file, { engine, mixToMono: true, threads }));
      clip.cDecode.push(cpuLast);
      decoder = decoded.decoder;
      const [y, tMono] = time(() => resampleAs(toMono(decoded.channels), decoded.sampleRate, 22050, resampler));
      clip.cMono.push(cpuLast);
      const [db, tLogmel] = time(() => logMelSpectrogram(y));
      clip.cLogmel.push(cpuLast);
      scale = 30 / decoded.durationS; // normalise to a 30 s clip
      clip.decode.push(tDecode * scale);
      clip.mono.push(tMono * scale);
      clip.logmel.push(tLogmel * scale);
      pcm.set(file, y);
      last = db.data;
    }
    per.decode.push(median(clip.decode));
    per.mono.push(median(clip.mono));
    per.logmel.push(median(clip.logmel));
    per.e2e.push(median(clip.decode) + median(clip.mono) + median(clip.logmel));
    per.cDecode.push(median(clip.cDecode) * scale);
    per.cMono.push(median(clip.cMono) * scale);
    per.cLogmel.push(median(clip.cLogmel) * scale);
    per.cE2e.push((median(clip.cDecode) + median(clip.cMono) + median(clip.cLogmel)) * scale);
    const refFile = refDir ? path.join(refDir, `${path.basename(file, ".mp3")}.logmel_db.f32`) : null;
    if (last && refFile && fs.existsSync(refFile)) {
      const ref = readF32(refFile);
      const n = Math.min(ref.length, last.length);
      for (let i = 0; i < n; i++) errors.push(Math.abs(last[i] - ref[i]));
      refClips++;
      const s = absErrorStats(last, ref);
      process.stderr.write(`${engine} ${file}: dB vs librosa (${refName}) mean ${s.mean.toExponential(2)} max ${s.max.toFixed(4)}\n`);
    }
    process.stderr.write(`${engine} ${file}: decode ${round(median(clip.decode))} ms, mono+resample ${round(median(clip.mono))} ms, logmel ${round(median(clip.logmel))} ms\n`);
  }
  let vsReference: EngineMeasurement["vs_reference"] = null;
  if (refClips > 0) {
    errors.sort((a, b) => a - b);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    vsReference = {
      reference: `../shared/reference/${refName}`,
      mean_abs_db: Number(mean.toExponential(3)),
      p99_abs_db: Number(errors[Math.floor(0.99 * (errors.length - 1))].toExponential(3)),
      max_abs_db: Number(errors[errors.length - 1].toExponential(3)),
      clips: refClips,
    };
  }
  return {
    engine,
    threads: engine === "native" ? threads : undefined,
    decoder,
    resampler,
    decode_ms: round(median(per.decode)),
    mono_resample_ms: round(median(per.mono)),
    logmel_ms: round(median(per.logmel)),
    end_to_end_ms: round(median(per.e2e)),
    cpu_ms: { decode: round(median(per.cDecode)), mono_resample: round(median(per.cMono)), logmel: round(median(per.cLogmel)), end_to_end: round(median(per.cE2e)) },
    vs_reference: vsReference,
    pcm,
  };
}

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      clips: { type: "string" },
      runs: { type: "string", default: "3" },
      workers: { type: "string", default: "2" },
      engines: { type: "string", default: "native,wasm" },
      "no-cache": { type: "boolean", default: false },
      synthetic: { type: "boolean", default: false },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  const engines = (values.engines ?? "native,wasm").split(",").filter(Boolean) as AudioEngine[];
  for (const e of engines) if (e !== "native" && e !== "wasm") throw new Error(`--engines: unknown audio engine '${e}' (native, wasm)`);
  const shared = sharedDir();
  const sampleDir = shared ? path.join(shared, "fma-sample", "audio") : null;
  let clipsDir = values.synthetic ? null : values.clips ?? (sampleDir && fs.existsSync(sampleDir) ? sampleDir : null);
  let tmp: string | null = null;
  if (!clipsDir) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-audio-bench-"));
    process.stderr.write("no clips folder: encoding a synthetic 30 s MP3 with lamejs\n");
    fs.writeFileSync(path.join(tmp, "000001.mp3"), encodeToneMp3({ sampleRate: 44100, channels: 2, durationS: 30, freqs: [110, 440, 1760, 7040] }));
    clipsDir = tmp;
  }
  const engineBefore = computeSettings().audio;
  try {
    const files = fs.readdirSync(clipsDir).filter((f) => /\.mp3$/i.test(f)).sort();
    if (files.length === 0) throw new Error(`no .mp3 files in ${clipsDir}`);
    const measured: Record<string, EngineMeasurement | { skipped: string }> = {};
    for (const engine of engines) {
      try {
        const m = await measureEngine(engine, clipsDir, files, runs, shared);
        if (engine === "native") {
          // The default (2 decode threads) above; the cache workers' one-thread path beside it.
          const one = await measureEngine(engine, clipsDir, files, runs, shared, 1);
          m.one_thread = { decode_ms: one.decode_ms, end_to_end_ms: one.end_to_end_ms, cpu_end_to_end_ms: one.cpu_ms.end_to_end };
        }
        measured[engine] = m;
      } catch (err) {
        measured[engine] = { skipped: `not measured: ${(err as Error).message.split("\n")[0]}` };
      }
    }
    configureCompute({ audio: engineBefore });
    const fastest = Object.values(measured).filter((m): m is EngineMeasurement => "end_to_end_ms" in m).sort((a, b) => a.end_to_end_ms - b.end_to_end_ms)[0];

    // Features on the fastest engine's PCM (the same definitions whatever decoded it).
    const features = await loadClipFeatures();
    const featureMs: number[] = [];
    const featureCpu: number[] = [];
    if (features.fn && fastest) {
      const fn = features.fn;
      const [first] = fastest.pcm.values();
      fn(first, 22050); // warm-up: banks, windows, the WASM kernel
      for (const y of fastest.pcm.values()) {
        const ms: number[] = [];
        const cpu: number[] = [];
        for (let r = 0; r < runs; r++) {
          ms.push(time(() => fn(y, 22050))[1] * ((30 * 22050) / y.length));
          cpu.push(cpuLast * ((30 * 22050) / y.length));
        }
        featureMs.push(median(ms));
        featureCpu.push(median(cpu));
      }
    }

    const librosaRows = { soxr_hq: librosaPipeline(clipsDir, runs, "soxr_hq"), polyphase: librosaPipeline(clipsDir, runs, "polyphase") };
    const librosaTimes = Object.entries(librosaRows)
      .map(([k, r]) => ({ resType: k, ms: r.json?.end_to_end_ms }))
      .filter((r): r is { resType: string; ms: number } => typeof r.ms === "number")
      .sort((a, b) => a.ms - b.ms);
    const best = librosaTimes[0] ?? null;
    for (const m of Object.values(measured)) if ("end_to_end_ms" in m) m.speedup_vs_librosa_best = best ? round(best.ms / m.end_to_end_ms, 2) : null;

    const durations = new Map<string, number>();
    for (const [file, y] of fastest?.pcm ?? []) durations.set(file, y.length / 22050);
    const native = nativeMpg123(clipsDir, durations, runs);
    // Cache build throughput (the default engine: native where it loads) with 1 worker and with --workers.
    const cache: { value: Record<string, number | null> | null; reason: string | null } = { value: null, reason: "skipped (--no-cache)" };
    if (!values["no-cache"]) {
      cache.value = {};
      cache.reason = null;
      for (const w of [...new Set([1, Number(values.workers)])]) {
        process.stderr.write(`cache build throughput over ${Math.max(CACHE_BENCH_CLIPS, files.length)} clips (the ${files.length} repeated) with ${w} worker${w === 1 ? "" : "s"}…\n`);
        const r = await cacheThroughput(clipsDir, w);
        cache.value[String(w)] = r.value;
        if (r.reason) cache.reason = [cache.reason, `${w} workers: ${r.reason}`].filter(Boolean).join("; ");
      }
    }
    const strip = (m: EngineMeasurement | { skipped: string }) => {
      if (!("pcm" in m)) return m;
      const { pcm: _pcm, ...rest } = m;
      return rest;
    };
    return {
      cpu_model: os.cpus()[0]?.model?.trim() ?? "unknown",
      cpus: os.cpus().length,
      clips: files.length,
      clips_dir: tmp ? "synthetic (lamejs, 30 s)" : clipsDir,
      runs,
      per_30s_clip_ms: "medians over runs, then over clips; durations scaled to 30 s; cpu_ms: process CPU time of the same stages",
      ...Object.fromEntries(Object.entries(measured).map(([k, m]) => [k, strip(m)])),
      features_ms: featureMs.length ? round(median(featureMs)) : null,
      features_cpu_ms: featureCpu.length ? round(median(featureCpu)) : null,
      ...(features.reason ? { features_note: features.reason } : {}),
      cache_clips_per_s: cache.value,
      cache_engine: fastest ? `${fastest.decoder} + ${fastest.resampler}` : null,
      ...(cache.reason ? { cache_note: cache.reason } : {}),
      peak_rss_mb: peakRssMb(),
      librosa_best: best ? { res_type: best.resType, end_to_end_ms: best.ms } : null,
      librosa_pipeline: Object.fromEntries(Object.entries(librosaRows).map(([k, r]) => [k, r.json ?? { skipped: r.note }])),
      native_mpg123_decode_ms: native.decodeMs,
      native_mpg123_process_start_ms: native.startMs,
      native_mpg123_note: native.note,
      load_avg_1m: round(os.loadavg()[0], 2),
    };
  } finally {
    configureCompute({ audio: engineBefore });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
