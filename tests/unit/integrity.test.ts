// Integrity of what is read back: a fault test on the spectrogram cache (truncated, flipped, deleted
// entries → readers refuse naming the file, --verify lists exactly them, a rerun repairs exactly them,
// byte for byte), failed entries re-checked when their mp3 changes, silent clips flagged, the same
// for checkpoints, saved models and embeddings, strict UTF-8 metadata, and shell-quoted commands.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import {
  buildSpectrogramCache,
  openSpectrogramCache,
  readCacheManifest,
  verifySpectrogramCache,
  CacheEntryError,
  type CacheSummary,
} from "../../src/features/cache";
import { openTrainingData } from "../../src/train/sources";
import { trainModel } from "../../src/train/train";
import { readEmbeddings } from "../../src/eval/evaluate";
import { loadModel } from "../../src/tf/io";
import { openDataset } from "../../src/data/dataset";
import { InputError } from "../../src/util/errors";
import { shellCommand, shellQuote } from "../../src/util/shell";
import { decodeUtf8Strict, readTextFileStrict } from "../../src/util/text";
import { Rng } from "../../src/util/random";
import { audioFileOf, writeTinyDataset, type TinyTrack } from "../helpers/cache-dataset";
import { fixtureConfig, fixtureData } from "../helpers/train-fixture";

const ROOT = path.resolve(__dirname, "..", "..");
const CLIP_S = 2;
const TRACKS: TinyTrack[] = [
  ...[2, 3, 5, 10, 20, 26, 30, 46, 140, 1482].map((trackId) => ({ trackId, kind: "good" as const })),
  { trackId: 48, kind: "short" },
  { trackId: 77, kind: "silent" },
  { trackId: 134, kind: "missing" },
  { trackId: 135, kind: "garbage" },
];

let tmp = "";
let dataDir = "";
let cacheRoot = "";
let first: CacheSummary;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cacheArgs(): string[] {
  return ["--data", dataDir, "--cache", cacheRoot, "--clip-seconds", String(CLIP_S), "--short-tolerance", "0.25", "--quiet"];
}

/** Every file under `dir` (relative path → bytes), temp and lock files excluded. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(path.join(dir, "clips"));
  return out;
}

/** No stack trace: no "    at " frames and no "Error:" prefix of an uncaught throw. */
function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, text);
  assert.doesNotMatch(text, /^(Type|Range|Syntax)?Error: /m, text);
}

before(async () => {
  // A folder name with a space, a quote and non-ASCII letters: every suggested command must quote it.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-integrity-"));
  dataDir = path.join(tmp, "dätä set's");
  cacheRoot = path.join(tmp, "cache");
  await writeTinyDataset(dataDir, TRACKS);
  first = await buildSpectrogramCache({ dataDir, cacheRoot, clipSeconds: CLIP_S, shortToleranceS: 0.25, workers: 0, silent: true });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("every finished entry records size and CRC32 of its files; silent clips are flagged and listed", () => {
  const entries = readCacheManifest(first.dir);
  for (const e of entries.values()) {
    if (e.status === "failed") {
      assert.equal(e.file, undefined);
      continue;
    }
    assert.equal(e.bytes, fs.statSync(path.join(first.dir, e.file!)).size);
    assert.match(e.crc32 ?? "", /^[0-9a-f]{8}$/);
    assert.equal(e.featuresBytes, fs.statSync(path.join(first.dir, e.features!)).size);
    assert.match(e.featuresCrc32 ?? "", /^[0-9a-f]{8}$/);
  }
  assert.equal(entries.get(77)?.silent, true);
  assert.equal(entries.get(2)?.silent, undefined);
  assert.deepEqual(first.silentClips, [77]);
  assert.deepEqual(first.shortClips, [48]);
  const problems = fs.readFileSync(first.problemsFile!, "utf8");
  for (const row of [/^000077\tsilent/m, /^000048\tshort/m, /^000134\tfailed\tmissing/m, /^000135\tfailed\tgarbage/m]) assert.match(problems, row);
});

test("fault test: truncated, flipped and deleted entries are refused, listed by --verify, and repaired byte for byte", () => {
  const original = snapshot(first.dir);
  const cache = openSpectrogramCache(first.dir);
  const usable = cache.trackIds();
  // Seeded random picks: 2 truncated, 2 flipped (one a features file), 2 deleted; distinct tracks.
  const rng = new Rng(15);
  const picks = [...usable];
  rng.shuffle(picks);
  const [truncA, truncB, flipA, flipB, delA, delB] = picks;
  const rel = (id: number, kind: "file" | "features") => cache.entries.get(id)![kind]!;
  const abs = (id: number, kind: "file" | "features") => path.join(first.dir, rel(id, kind));
  fs.truncateSync(abs(truncA, "file"), 1000);
  fs.truncateSync(abs(truncB, "features"), 7);
  for (const [id, kind] of [[flipA, "file"], [flipB, "features"]] as const) {
    const bytes = fs.readFileSync(abs(id, kind));
    const at = rng.int(0, bytes.length - 1);
    bytes[at] ^= 0x5a;
    fs.writeFileSync(abs(id, kind), bytes);
  }
  fs.rmSync(abs(delA, "file"));
  fs.rmSync(abs(delB, "features"));
  const damagedFiles = [abs(truncA, "file"), abs(truncB, "features"), abs(flipA, "file"), abs(flipB, "features"), abs(delA, "file"), abs(delB, "features")].sort();

  // Readers: a clear CacheEntryError naming the file and the (quoted) repair command.
  assert.throws(() => cache.get(truncA), (err: Error) => err instanceof CacheEntryError && err.message.startsWith(`${abs(truncA, "file")}: 1000 bytes, expected`));
  assert.throws(() => cache.get(flipA), (err: Error) => err instanceof CacheEntryError && /CRC32 [0-9a-f]{8}, the manifest records/.test(err.message));
  assert.throws(() => cache.features(flipB), (err: Error) => err instanceof CacheEntryError && err.message.includes(abs(flipB, "features")));
  assert.throws(() => cache.get(delA), (err: Error) => err instanceof CacheEntryError && err.message.startsWith(`${abs(delA, "file")}: missing`));
  assert.throws(() => cache.get(flipA), (err: Error) => err.message.includes(`repair with: fmalab spectrograms --data ${shellQuote(path.resolve(dataDir))}`));

  // The trainer refuses before training, naming a damaged file and the repair command.
  assert.throws(
    () => openTrainingData({ data: dataDir, cacheDir: cacheRoot }, { kind: "logmel", height: 128, width: 64, channels: 1 }),
    (err: Error) => err instanceof CacheEntryError && /more damaged entr/.test(err.message) && /repair with: fmalab spectrograms/.test(err.message),
  );

  // --verify lists exactly the damaged files, computes nothing, exit status 4.
  const v = verifySpectrogramCache(first.dir);
  assert.deepEqual(v.damaged.map((p) => p.file).sort(), damagedFiles);
  const verify = cli(["spectrograms", ...cacheArgs(), "--verify"]);
  assert.equal(verify.status, 4, verify.stderr);
  for (const f of damagedFiles) assert.ok(verify.stdout.includes(f), `--verify names ${f}:\n${verify.stdout}`);
  assert.match(verify.stdout, /repair \(recomputes exactly these clips\): fmalab spectrograms --data '/);

  // The repro: `fmalab train` on the damaged cache → one line naming the file, exit 2, no stack trace.
  const train = cli(["train", "--data", dataDir, "--cache", cacheRoot, "--runs", path.join(tmp, "runs"), "--quiet"]);
  assert.equal(train.status, 2, train.stderr);
  assertNoStackTrace(train.stderr);
  assert.match(train.stderr.trim(), /^fmalab train: \S.*(1000 bytes|missing|7 bytes).*repair with: fmalab spectrograms --data '[^\n]+$/);

  // The rerun repairs exactly those entries; the cache equals the original byte for byte.
  const rerun = cli(["spectrograms", ...cacheArgs(), "--workers", "0"]);
  assert.equal(rerun.status, 3, rerun.stderr); // 3: the missing and garbage clips still fail
  assert.match(rerun.stdout, /computed now 6, from earlier runs 8; repaired 6/);
  for (const f of damagedFiles) assert.ok(rerun.stdout.includes(f), `the summary names ${f}`);
  const repaired = snapshot(first.dir);
  assert.deepEqual([...repaired.keys()].sort(), [...original.keys()].sort());
  for (const [name, bytes] of original) assert.ok(repaired.get(name)!.equals(bytes), `${name} differs after the repair`);
  assert.equal(verifySpectrogramCache(first.dir).damaged.length, 0);
  assert.equal(cli(["spectrograms", ...cacheArgs(), "--verify"]).status, 0);
});

test("failed entries are re-checked: a missing clip restored later is retried without --retry-failed", async () => {
  const again = await buildSpectrogramCache({ dataDir, cacheRoot, clipSeconds: CLIP_S, shortToleranceS: 0.25, workers: 0, silent: true });
  assert.equal(again.computed, 0, "unchanged failures are not retried");
  fs.copyFileSync(audioFileOf(dataDir, 2), audioFileOf(dataDir, 134));
  const restored = cli(["spectrograms", ...cacheArgs(), "--workers", "0"]);
  assert.equal(restored.status, 3, restored.stderr); // the garbage clip still fails
  assert.match(restored.stdout, /computed now 1,/);
  assert.match(restored.stdout, /retried 1 failed clip\(s\) whose mp3 changed: 000134 \(the file is now present\)/);
  assert.match(restored.stdout, /000135 +garbage/);
  assert.match(restored.stdout, /to retry every failed clip: fmalab spectrograms --data '.*dätä set'\\''s' .*--retry-failed/);
  assert.equal(readCacheManifest(first.dir).get(134)?.status, "ok");
  // A changed (rewritten) garbage file is retried too.
  fs.appendFileSync(audioFileOf(dataDir, 135), "more garbage");
  const changed = await buildSpectrogramCache({ dataDir, cacheRoot, clipSeconds: CLIP_S, shortToleranceS: 0.25, workers: 0, silent: true });
  assert.deepEqual(changed.retried.map((r) => r.trackId), [135]);
  assert.match(changed.retried[0].why, /the file changed/);
});

test("checkpoints, best/ and embeddings read back verified: truncated, flipped or deleted files are refused by name", async () => {
  const runsDir = path.join(tmp, "runs-fixture");
  const quiet = { progress: false, log: () => undefined };
  await trainModel(fixtureConfig(runsDir, { epochs: 1 }), { ...quiet, data: fixtureData() });
  const run = path.join(runsDir, "fixture-run");
  const ckpt = path.join(run, "checkpoint");
  const resume = () => trainModel(fixtureConfig(runsDir, { epochs: 2 }), { ...quiet, data: fixtureData(), resume: true, onBatch: () => assert.fail("training started") });
  const keep = new Map(fs.readdirSync(ckpt).map((n) => [n, fs.readFileSync(path.join(ckpt, n))] as const));
  const restore = () => {
    for (const [n, b] of keep) fs.writeFileSync(path.join(ckpt, n), b);
  };
  const rng = new Rng(42);
  // Flipped byte in the optimizer state (same size: only the CRC32 can tell).
  const opt = path.join(ckpt, "optimizer-weights.bin");
  const bytes = fs.readFileSync(opt);
  bytes[rng.int(0, bytes.length - 1)] ^= 0x01;
  fs.writeFileSync(opt, bytes);
  await assert.rejects(resume(), (err: Error) => err instanceof InputError && err.message.startsWith(`${opt}: CRC32`) && /rm -r -- .*checkpoint/.test(err.message));
  restore();
  fs.rmSync(path.join(ckpt, "state.json"));
  await assert.rejects(resume(), (err: Error) => err instanceof InputError && err.message.startsWith(`${path.join(ckpt, "state.json")}: missing`));
  restore();
  fs.rmSync(path.join(ckpt, "COMPLETE"));
  await assert.rejects(resume(), (err: Error) => err instanceof InputError && err.message.startsWith(`${path.join(ckpt, "COMPLETE")}: missing`));
  restore();

  // best/: a flipped weight is refused by loadModel, naming the file.
  const weights = path.join(run, "best", "weights.bin");
  const w = fs.readFileSync(weights);
  w[w.length >> 1] ^= 0x80;
  fs.writeFileSync(weights, w);
  await assert.rejects(loadModel(path.join(run, "best")), (err: Error) => err instanceof InputError && err.message.startsWith(`${weights}: CRC32`));
  const model = await loadModel(path.join(run, "last"));
  model.dispose();

  // embeddings.f32: truncated and flipped.
  const emb = path.join(run, "embeddings.f32");
  const e = fs.readFileSync(emb);
  assert.equal(readEmbeddings(run).rows.length, 12);
  fs.writeFileSync(emb, e.subarray(0, 10));
  assert.throws(() => readEmbeddings(run), (err: Error) => err instanceof InputError && err.message.startsWith(`${emb}: 10 bytes`));
  const flipped = Buffer.from(e);
  flipped[3] ^= 0x10;
  fs.writeFileSync(emb, flipped);
  assert.throws(() => readEmbeddings(run), (err: Error) => err instanceof InputError && /CRC32 .* \(damaged\); recompute it with: fmalab evaluate --run fixture-run/.test(err.message));
  assert.equal(tf.memory().numTensors >= 0, true);
});

test("strict text: invalid UTF-8 names file, line and column; a folder or a device as a file is a clear error", () => {
  const dir = path.join(tmp, "strict");
  fs.mkdirSync(dir, { recursive: true });
  assert.equal(decodeUtf8Strict(Buffer.from("a,b\nNeon Prädaim\n"), "x.csv"), "a,b\nNeon Prädaim\n");
  const bad = Buffer.concat([Buffer.from("track_id,title\n1,Neon Pr"), Buffer.from([0xe4]), Buffer.from("daim\n")]);
  assert.throws(() => decodeUtf8Strict(bad, "tracks.csv"), (err: Error) => err instanceof InputError && err.message === "tracks.csv (line 2, column 10): invalid UTF-8 (byte 0xe4 at offset 24); save the file as UTF-8");
  // Overlong encodings, surrogates and a sequence cut at the end are invalid too.
  for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x41, 0xe2, 0x82]]) {
    assert.throws(() => decodeUtf8Strict(Uint8Array.from(bytes), "f"), InputError, `bytes ${bytes}`);
  }
  assert.throws(() => readTextFileStrict(dir), (err: Error) => err instanceof InputError && err.message === `${dir}: is a folder, not a file`);
  assert.throws(() => readTextFileStrict("/dev/null"), (err: Error) => err instanceof InputError && err.message === "/dev/null: is a device, not a file");

  // Through the data layer: tracks.csv with a Latin-1 byte, then tracks.csv that is a folder.
  const ds = path.join(tmp, "strict-ds");
  fs.cpSync(path.join(dataDir, "fma_metadata"), path.join(ds, "fma_metadata"), { recursive: true });
  const tracksCsv = path.join(ds, "fma_metadata", "tracks.csv");
  const text = fs.readFileSync(tracksCsv);
  const at = text.indexOf("tone 2");
  fs.writeFileSync(tracksCsv, Buffer.concat([text.subarray(0, at + 1), Buffer.from([0xe9]), text.subarray(at + 1)]));
  assert.throws(() => openDataset(ds), (err: Error) => err instanceof InputError && /tracks\.csv \(line 4, column \d+\): invalid UTF-8 \(byte 0xe9/.test(err.message));
  fs.rmSync(tracksCsv);
  fs.mkdirSync(tracksCsv);
  assert.throws(() => openDataset(ds), (err: Error) => err instanceof InputError && err.message === `${tracksCsv}: is a folder, not a file`);
  const r = cli(["spectrograms", "--data", ds, "--cache", cacheRoot, "--quiet"]);
  assert.equal(r.status, 2);
  assertNoStackTrace(r.stderr);
  assert.equal(r.stderr.trim(), `fmalab spectrograms: ${tracksCsv}: is a folder, not a file`);
});

test("suggested commands are shell-quoted and survive a round trip through sh", () => {
  assert.equal(shellQuote("data/fma"), "data/fma");
  assert.equal(shellQuote("~/dätä set/fma"), "'~/dätä set/fma'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote(""), "''");
  const words = ["fmalab", "spectrograms", "--data", "~/dätä set/fma", "$HOME", "a'b\"c", "x;rm -rf y", "*"];
  const r = spawnSync("sh", ["-c", `printf '%s\\n' ${shellCommand(words.slice(1))}`], { encoding: "utf8" });
  assert.deepEqual(r.stdout.split("\n").slice(0, -1), words.slice(1));
});
