// The spectrogram cache: bad files recorded and skipped, round trip against logMelSpectrogram, reader
// batches, parameter mismatches, torn manifests, locks, kill -9 resumability of the CLI, and workers
// started from a process without any TypeScript loader (as in a tslab kernel).
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import {
  buildSpectrogramCache,
  findCache,
  openSpectrogramCache,
  readManifest,
  type CacheSummary,
} from "../../src/features/cache";
import { loadAudio } from "../../src/audio/load";
import { logMelSpectrogram } from "../../src/features/melspec";
import { clipFeatures } from "../../src/features/meyda";
import { UsageError } from "../../src/util/errors";
import { audioFileOf, writeTinyDataset, type TinyTrack } from "../helpers/cache-dataset";

const ROOT = path.resolve(__dirname, "..", "..");
const CLIP_S = 2;
const REQUEST = { clipSeconds: CLIP_S, shortToleranceS: 0.25 };

const TRACKS: TinyTrack[] = [
  { trackId: 2, kind: "good" },
  { trackId: 5, kind: "empty" },
  { trackId: 10, kind: "truncated" },
  { trackId: 20, kind: "garbage" },
  { trackId: 26, kind: "id3-only" },
  { trackId: 30, kind: "wav" },
  { trackId: 46, kind: "text" },
  { trackId: 48, kind: "short" },
  { trackId: 134, kind: "missing" },
  { trackId: 140, kind: "good" },
  { trackId: 1482, kind: "good" },
];
const EXPECTED_REASON: Record<string, string> = {
  empty: "empty",
  truncated: "truncated",
  garbage: "garbage",
  "id3-only": "id3-only",
  wav: "not-mp3",
  text: "not-mp3",
  missing: "missing",
};

let tmp = "";
let dataDir = "";
let cacheRoot = "";
let summary: CacheSummary;
const progress: Array<{ done: number; total: number; failed: number }> = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cache-test-"));
  dataDir = path.join(tmp, "tiny");
  cacheRoot = path.join(tmp, "cache");
  await writeTinyDataset(dataDir, TRACKS);
  summary = await buildSpectrogramCache({
    dataDir,
    cacheRoot,
    workers: 1,
    silent: true,
    onProgress: (p) => progress.push({ done: p.done, total: p.total, failed: p.failed }),
    ...REQUEST,
  });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("a run over good and bad files completes, recording every bad file with its reason", () => {
  assert.equal(summary.total, TRACKS.length);
  assert.equal(summary.ok, 3);
  assert.equal(summary.short, 1);
  assert.equal(summary.failed, 7);
  assert.equal(summary.computed, TRACKS.length);
  const manifest = readManifest(path.join(summary.dir, "manifest.jsonl"));
  assert.equal(manifest.entries.size, TRACKS.length);
  for (const t of TRACKS) {
    const e = manifest.entries.get(t.trackId);
    assert.ok(e, `entry for ${t.trackId}`);
    if (t.kind === "good") assert.equal(e.status, "ok", `${t.trackId}: ${e.message}`);
    else if (t.kind === "short") {
      assert.equal(e.status, "short");
      assert.ok(e.durationS! > 1.2 && e.durationS! < 1.45, `duration ${e.durationS}`);
      assert.ok(e.audioFrames! < e.frames!, "padding frames counted");
    } else {
      assert.equal(e.status, "failed", `${t.kind}`);
      assert.equal(e.reason, EXPECTED_REASON[t.kind], `${t.kind}: ${e.message}`);
      assert.match(e.message ?? "", new RegExp(String(t.trackId).padStart(6, "0")), "message names the file");
    }
  }
  assert.equal(progress.length, TRACKS.length);
  assert.deepEqual(progress[progress.length - 1], { done: TRACKS.length, total: TRACKS.length, failed: 7 });
  assert.deepEqual(
    summary.failures.map((f) => f.trackId).sort((a, b) => a - b),
    TRACKS.filter((t) => EXPECTED_REASON[t.kind]).map((t) => t.trackId).sort((a, b) => a - b),
  );
});

test("get() equals logMelSpectrogram of the padded/cropped clip within the int16 step; features match", async () => {
  const cache = openSpectrogramCache(summary.dir);
  for (const trackId of [2, 48]) {
    const audio = await loadAudio(audioFileOf(dataDir, trackId), { sr: 22050 });
    const clip = new Float32Array(CLIP_S * 22050);
    clip.set(audio.pcm.subarray(0, clip.length));
    const ref = logMelSpectrogram(clip);
    const got = cache.get(trackId);
    assert.equal(got.nMels, 128);
    assert.equal(got.nFrames, ref.nFrames);
    assert.equal(got.nFrames, 1 + Math.floor((CLIP_S * 22050) / 512));
    let maxErr = 0;
    for (let i = 0; i < ref.data.length; i++) maxErr = Math.max(maxErr, Math.abs(ref.data[i] - got.db[i]));
    assert.ok(maxErr <= 0.005 + 1e-4, `track ${trackId}: max |Δ| ${maxErr} dB`);
    const feats = cache.features(trackId)!;
    const expected = clipFeatures(audio.pcm.subarray(0, Math.min(audio.pcm.length, clip.length)), 22050);
    assert.equal(feats.length, expected.values.length);
    assert.deepEqual(cache.featureNames, expected.names);
    for (let i = 0; i < feats.length; i++) {
      assert.ok(Math.abs(feats[i] - expected.values[i]) <= 1e-4 * Math.max(1, Math.abs(expected.values[i])), `${expected.names[i]}`);
    }
  }
  assert.throws(() => cache.get(5), /failed.*empty/);
  assert.equal(cache.has(5), false);
  assert.equal(cache.has(2), true);
  const table = cache.featureMatrix();
  assert.deepEqual(table.trackIds, [2, 48, 140, 1482]);
  assert.equal(table.values.length, 4 * table.names.length);
});

test("stream() yields every id once in batches of the asked size; shuffle is seeded; crops have the asked width", async () => {
  const cache = openSpectrogramCache(summary.dir);
  const ids = cache.trackIds();
  assert.deepEqual(ids, [2, 48, 140, 1482]);
  const seen: number[] = [];
  const sizes: number[] = [];
  for await (const batch of cache.stream(ids, { batchSize: 3 })) {
    seen.push(...batch.trackIds);
    sizes.push(batch.trackIds.length);
    assert.equal(batch.data.length, batch.trackIds.length * batch.nMels * batch.nFrames);
  }
  assert.deepEqual(seen, ids);
  assert.deepEqual(sizes, [3, 1]);

  const order = async (seed: number) => {
    const out: number[] = [];
    for await (const b of cache.stream(ids, { batchSize: 2, shuffle: seed, dropLast: true })) out.push(...b.trackIds);
    return out;
  };
  const a = await order(7);
  assert.deepEqual(a, await order(7));
  assert.deepEqual([...a].sort((x, y) => x - y), ids);

  // A centre crop is the middle columns of get().
  const full = cache.get(140);
  for await (const b of cache.stream([140], { batchSize: 1, crop: { frames: 10 } })) {
    assert.equal(b.nFrames, 10);
    const start = Math.floor((full.nFrames - 10) / 2);
    for (const m of [0, 50, 127]) {
      for (let f = 0; f < 10; f++) assert.equal(b.data[m * 10 + f], full.db[m * full.nFrames + start + f]);
    }
  }
  await assert.rejects(async () => {
    for await (const _ of cache.stream([5], { batchSize: 1 })) void _;
  }, /failed/);
});

test("a second run recomputes nothing; --retry-failed recomputes only the failures", async () => {
  const again = await buildSpectrogramCache({ dataDir, cacheRoot, workers: 0, silent: true, ...REQUEST });
  assert.equal(again.dir, summary.dir);
  assert.equal(again.computed, 0);
  assert.equal(again.reused, TRACKS.length);
  assert.equal(again.failed, 7);
  // The CLI on the same cache: nothing to do, exit status 3 because clips failed, each one listed.
  const cli = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), "spectrograms", "--data", dataDir, "--cache", cacheRoot, "--clip-seconds", String(CLIP_S), "--short-tolerance", "0.25", "--quiet"],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(cli.status, 3, cli.stderr);
  assert.match(cli.stdout, /ok 3, short 1, failed 7\); computed now 0, from earlier runs 11/);
  assert.match(cli.stdout, /failed clips \(7\):/);
  assert.match(cli.stdout, /000030 +not-mp3/);
  const retry = await buildSpectrogramCache({ dataDir, cacheRoot, workers: 0, silent: true, retryFailed: true, ...REQUEST });
  assert.equal(retry.computed, 7);
  assert.equal(retry.ok, 3);
});

test("parameter mismatches are refused with a clear message; findCache finds the matching cache", () => {
  assert.equal(findCache(dataDir, { cacheRoot, ...REQUEST }), summary.dir);
  assert.throws(
    () => openSpectrogramCache(summary.dir, { expect: { ...REQUEST, mel: { nMels: 64 } } }),
    (err: Error) => err instanceof UsageError && /mel\.nMels: wanted 64, cache has 128/.test(err.message),
  );
  assert.throws(
    () => openSpectrogramCache(summary.dir, { expect: { clipSeconds: 30 } }),
    (err: Error) => err instanceof UsageError && /clipSeconds: wanted 30, cache has 2/.test(err.message),
  );
  openSpectrogramCache(summary.dir, { expect: REQUEST }); // same parameters: fine
  assert.throws(
    () => findCache(dataDir, { cacheRoot, ...REQUEST, mel: { nMels: 96 } }),
    (err: Error) => err instanceof UsageError && /mel\.nMels: wanted 96, cache has 128/.test(err.message) && /fmalab spectrograms/.test(err.message),
  );
});

test("a torn last manifest line is ignored by readers and cut off by the next run", async () => {
  const file = path.join(summary.dir, "manifest.jsonl");
  const before = fs.readFileSync(file, "utf8");
  fs.appendFileSync(file, '{"trackId":2,"status":"o');
  const read = readManifest(file);
  assert.equal(read.tornTail, true);
  assert.equal(read.entries.get(2)?.status, "ok");
  const cache = openSpectrogramCache(summary.dir);
  assert.equal(cache.has(2), true);
  await buildSpectrogramCache({ dataDir, cacheRoot, workers: 0, silent: true, ...REQUEST });
  assert.equal(fs.readFileSync(file, "utf8"), before);
});

test("a cache locked by a live process is refused; a stale lock is taken over", async () => {
  const lock = path.join(summary.dir, "lock");
  fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname() }));
  await assert.rejects(
    buildSpectrogramCache({ dataDir, cacheRoot, workers: 0, silent: true, ...REQUEST }),
    (err: Error) => err instanceof UsageError && new RegExp(`process ${process.ppid}`).test(err.message),
  );
  fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() })); // no such pid
  const s = await buildSpectrogramCache({ dataDir, cacheRoot, workers: 0, silent: true, ...REQUEST });
  assert.equal(s.computed, 0);
  assert.equal(fs.existsSync(lock), false);
});

test("known-bad clips: excluded and listed by default, processed and marked with policy flag", async () => {
  const dir = path.join(tmp, "knownbad");
  await writeTinyDataset(dir, [
    { trackId: 2, kind: "good" },
    { trackId: 98565, kind: "short" }, // KNOWN_BAD_CLIPS: "short"
    { trackId: 99134, kind: "id3-only" }, // KNOWN_BAD_CLIPS: "no-audio"
  ]);
  const root = path.join(tmp, "cache-knownbad");
  const excluded = await buildSpectrogramCache({ dataDir: dir, cacheRoot: root, workers: 0, silent: true, ...REQUEST });
  assert.equal(excluded.total, 1);
  assert.deepEqual(excluded.knownBadExcluded.map((c) => c.trackId).sort((a, b) => a - b), [98565, 99134]);
  const flagged = await buildSpectrogramCache({ dataDir: dir, cacheRoot: root, workers: 0, silent: true, knownBadPolicy: "flag", ...REQUEST });
  assert.equal(flagged.total, 3);
  assert.equal(flagged.computed, 2);
  const cache = openSpectrogramCache(flagged.dir);
  assert.equal(cache.entries.get(98565)?.knownBad, "short");
  assert.equal(cache.entries.get(98565)?.status, "short");
  assert.equal(cache.entries.get(99134)?.knownBad, "no-audio");
  assert.equal(cache.entries.get(99134)?.reason, "id3-only");
  assert.equal(cache.entries.get(2)?.knownBad, undefined);
});

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

test("CLI killed with SIGKILL midway, rerun: finishes the rest, recomputes nothing, no temp files", async () => {
  const dir = path.join(tmp, "killme");
  const root = path.join(tmp, "cache-kill");
  const n = 10;
  await writeTinyDataset(dir, Array.from({ length: n }, (_, i) => ({ trackId: 200 + i, kind: "good" as const })));
  const args = ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), "spectrograms", "--data", dir, "--cache", root, "--clip-seconds", String(CLIP_S), "--workers", "1", "--quiet"];
  const childArgs = ["--import", "tsx", path.join(ROOT, "tests/helpers/cache-child.ts"), dir, root, String(CLIP_S), "400"];
  const child = spawn(process.execPath, childArgs, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const manifestLines = (): number => {
    const dirs = fs.existsSync(root) ? fs.readdirSync(root) : [];
    if (dirs.length === 0) return 0;
    const f = path.join(root, dirs[0], "manifest.jsonl");
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter((l) => l.trim()).length : 0;
  };
  const deadline = Date.now() + 120_000;
  let lines = 0;
  while ((lines = manifestLines()) < 1 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.ok(lines >= 1 && lines < n, `manifest had ${lines} of ${n} lines when killed (exit ${child.exitCode}; ${stderr.slice(-500)})`);
  child.kill("SIGKILL");
  await exited;

  const cacheDir = path.join(root, fs.readdirSync(root)[0]);
  const first = readManifest(path.join(cacheDir, "manifest.jsonl")).entries;
  assert.ok(first.size >= 1 && first.size < n);
  const stamps = new Map<number, string>();
  for (const e of first.values()) {
    const st = fs.statSync(path.join(cacheDir, e.file!));
    stamps.set(e.trackId, `${st.ino}/${st.mtimeMs}`);
    const fst = fs.statSync(path.join(cacheDir, e.features!));
    stamps.set(-e.trackId, `${fst.ino}/${fst.mtimeMs}`);
  }
  // A temp file as a killed writer leaves it.
  const planted = path.join(cacheDir, "clips", "000", ".000209.i16.99999.deadbeef.tmp");
  fs.mkdirSync(path.dirname(planted), { recursive: true });
  fs.writeFileSync(planted, "partial");

  const rerun = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stdout, new RegExp(`computed now ${n - first.size}, from earlier runs ${first.size}`));
  const text = fs.readFileSync(path.join(cacheDir, "manifest.jsonl"), "utf8");
  const ids = text.split("\n").filter((l) => l.trim()).map((l) => (JSON.parse(l) as { trackId: number }).trackId);
  assert.equal(ids.length, n, "one manifest line per track");
  assert.equal(new Set(ids).size, n);
  for (const e of first.values()) {
    const st = fs.statSync(path.join(cacheDir, e.file!));
    assert.equal(`${st.ino}/${st.mtimeMs}`, stamps.get(e.trackId), `track ${e.trackId} was not rewritten`);
    const fst = fs.statSync(path.join(cacheDir, e.features!));
    assert.equal(`${fst.ino}/${fst.mtimeMs}`, stamps.get(-e.trackId));
  }
  assert.deepEqual(listFiles(cacheDir).filter((f) => f.endsWith(".tmp")), []);
  assert.equal(fs.existsSync(path.join(cacheDir, "lock")), false);
  const cache = openSpectrogramCache(cacheDir);
  assert.equal(cache.trackIds().length, n);
});

test("workers start from a process with no TypeScript loader (as in a tslab kernel)", () => {
  const root = path.join(tmp, "cache-plain");
  const script = `
    const assert = require("node:assert");
    assert.equal(require.extensions[".ts"], undefined, "no global TypeScript loader in this process");
    const tsx = require("tsx/cjs/api");
    const m = tsx.require("./src/features/cache.ts", ${JSON.stringify(path.join(ROOT, "index.js"))});
    m.buildSpectrogramCache({ dataDir: ${JSON.stringify(dataDir)}, cacheRoot: ${JSON.stringify(root)}, workers: 2, silent: true, clipSeconds: ${CLIP_S}, shortToleranceS: 0.25 })
      .then((s) => { console.log(JSON.stringify({ ok: s.ok, short: s.short, failed: s.failed, computed: s.computed })); process.exit(0); },
            (e) => { console.error(e); process.exit(1); });
  `;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), { ok: 3, short: 1, failed: 7, computed: TRACKS.length });
});
