import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  openDataset,
  checkDataset,
  assertDatasetReady,
  formatMissingAudio,
  defaultDatasetSubset,
  parseTracksCsv,
  applyKnownBadPolicy,
  knownBadFor,
  formatKnownBadReport,
  KNOWN_BAD_CLIPS,
  genresAllTitles,
  trackIdFromAudioPath,
} from "../../src/data";
import { sharedDir } from "../../src/util";

const FIXTURES = path.join(__dirname, "..", "fixtures", "data");
const fixtureTracks = fs.readFileSync(path.join(FIXTURES, "tracks-3.csv"), "utf8"); // tracks 2 (small), 5 (medium), 666 (large)

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-data-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeFile(p: string, data: string | Buffer = ""): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** The real-FMA layout: fma_metadata/ + fma_<subset>/NNN/NNNNNN.mp3 (placeholder files). */
function makeNestedDataset(dir: string, clips: Record<string, number[]>): void {
  writeFile(path.join(dir, "fma_metadata", "tracks.csv"), fixtureTracks);
  fs.copyFileSync(path.join(FIXTURES, "genres.csv"), path.join(dir, "fma_metadata", "genres.csv"));
  for (const [subset, ids] of Object.entries(clips)) {
    fs.mkdirSync(path.join(dir, `fma_${subset}`), { recursive: true });
    for (const id of ids) {
      const name = String(id).padStart(6, "0");
      writeFile(path.join(dir, `fma_${subset}`, name.slice(0, 3), `${name}.mp3`), "ID3");
    }
  }
}

test("nested layout: subset tracks, audio paths, present/missing clips", (t) => {
  const dir = tempDir(t);
  makeNestedDataset(dir, { small: [2], medium: [2] });
  const small = openDataset(dir);
  assert.equal(small.subset, "small");
  assert.equal(small.audioLayout, "nested");
  assert.equal(small.metadataDir, path.join(dir, "fma_metadata"));
  assert.equal(small.audioDir, path.join(dir, "fma_small"));
  assert.deepEqual(small.tracks.trackIds(), [2]);
  assert.equal(small.allTracks.size, 3);
  assert.equal(small.genres.genres.length, 163);
  assert.equal(small.audioPathOf(2), path.join(dir, "fma_small", "000", "000002.mp3"));
  assert.deepEqual(small.checkAudio(), { present: [2], missing: [] });
  assert.deepEqual(checkDataset(dir, "small"), []);

  const medium = openDataset(dir, { subset: "medium" });
  assert.deepEqual(medium.tracks.trackIds(), [2, 5]);
  const audio = medium.checkAudio();
  assert.deepEqual(audio, { present: [2], missing: [5] });
  assert.match(formatMissingAudio(audio.missing, medium), /1 clip\(s\) of fma_medium missing .*track 000005/);
});

test("nested layout without the subset's audio: metadata opens, checkDataset says what to download", (t) => {
  const dir = tempDir(t);
  makeNestedDataset(dir, { small: [2] });
  const large = openDataset(dir, { subset: "large" });
  assert.equal(large.audioDir, null);
  assert.deepEqual(large.tracks.trackIds(), [2, 5, 666]);
  assert.deepEqual(large.checkAudio(), { present: [], missing: [2, 5, 666] });
  assert.throws(() => large.audioPathOf(2), /no audio for fma_large.*fmalab download --subset large --dir/);
  const problems = checkDataset(dir, "large");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /fma_large audio not downloaded: no folder .*fma_large; run: fmalab download --subset large --dir /);
  assert.throws(() => assertDatasetReady(dir, "large"), /not ready for subset large:\n  - fma_large audio not downloaded/);
  assert.doesNotThrow(() => assertDatasetReady(dir, "small"));
});

test("default subset: the smallest fma_<subset> folder present, else small", (t) => {
  const dir = tempDir(t);
  makeNestedDataset(dir, {});
  assert.equal(defaultDatasetSubset(dir), "small");
  makeNestedDataset(dir, { large: [666], medium: [5] });
  assert.equal(defaultDatasetSubset(dir), "medium");
  const ds = openDataset(dir);
  assert.equal(ds.subset, "medium");
  assert.deepEqual(ds.checkAudio(), { present: [5], missing: [2] });
});

test("checkDataset: missing folder, missing tracks.csv, missing genres.csv, empty audio folder", (t) => {
  const dir = tempDir(t);
  const gone = path.join(dir, "nope");
  assert.match(checkDataset(gone, "small")[0], /dataset folder .*nope does not exist; run: fmalab download --subset small --dir .*nope/);
  assert.match(checkDataset(dir, "small")[0], /no tracks\.csv \(looked for .*fma_metadata.tracks\.csv and .*tracks\.csv\); run: fmalab download/);
  assert.throws(() => openDataset(dir), /no FMA metadata under/);

  writeFile(path.join(dir, "fma_metadata", "tracks.csv"), fixtureTracks);
  fs.mkdirSync(path.join(dir, "fma_small", "000"), { recursive: true });
  const problems = checkDataset(dir, "small");
  assert.equal(problems.length, 2);
  assert.match(problems[0], /no genres\.csv beside/);
  assert.match(problems[1], /audio folder .*fma_small holds no NNNNNN\.mp3 clips/);
  assert.throws(() => openDataset(dir), /no genres\.csv in/);
});

test("flat layout (like ../shared/fma-sample): DIR/tracks.csv + DIR/audio/NNNNNN.mp3", (t) => {
  const dir = tempDir(t);
  writeFile(path.join(dir, "tracks.csv"), fixtureTracks);
  fs.copyFileSync(path.join(FIXTURES, "genres.csv"), path.join(dir, "genres.csv"));
  writeFile(path.join(dir, "audio", "000005.mp3"), "ID3");
  const ds = openDataset(dir, { subset: "medium" });
  assert.equal(ds.audioLayout, "flat");
  assert.equal(ds.metadataDir, dir);
  assert.equal(ds.audioPathOf(5), path.join(dir, "audio", "000005.mp3"));
  assert.deepEqual(ds.checkAudio(), { present: [5], missing: [2] });
  assert.deepEqual(checkDataset(dir, "medium"), []);
});

test("a bad genre id in tracks.csv stops openDataset with file, line and column", (t) => {
  const dir = tempDir(t);
  makeNestedDataset(dir, { small: [2] });
  writeFile(path.join(dir, "fma_metadata", "tracks.csv"), fixtureTracks.replace('"[1, 21, 38]"', '"[1, 21, 9999]"'));
  assert.throws(() => openDataset(dir), /tracks\.csv \(line 7, column track\.genres_all\): track 666: unknown genre id 9999/);
});

function knownBadTable() {
  // The fixture with track 5 renamed 98565 (short clip) and 666 renamed 99134 (no audio).
  const text = fixtureTracks.replace("\n5,", "\n98565,").replace("\n666,", "\n99134,");
  return parseTracksCsv(text, "known-bad.csv");
}

test("known-bad policy 'exclude' removes and lists them; 'flag' keeps and lists them", () => {
  const table = knownBadTable();
  assert.deepEqual(
    knownBadFor(table.trackIds()).map((c) => [c.trackId, c.problem]),
    [
      [99134, "no-audio"],
      [98565, "short"],
    ],
  );
  const ex = applyKnownBadPolicy(table.records, "exclude");
  assert.deepEqual(ex.kept.map((r) => r.trackId), [2]);
  assert.deepEqual(ex.excluded.map((c) => c.trackId), [99134, 98565]);
  assert.deepEqual(ex.flagged, []);
  const report = formatKnownBadReport(ex);
  assert.match(report, /policy "exclude"\): 2 excluded, 1 tracks kept/);
  assert.match(report, /099134 \(no-audio: no audio frames/);
  assert.match(report, /098565 \(short: clip far shorter than 30 s/);
  assert.ok(!report.includes("\n"), "one paragraph");

  const fl = applyKnownBadPolicy(table.records, "flag");
  assert.deepEqual(fl.kept.map((r) => r.trackId), [2, 98565, 99134]);
  assert.deepEqual(fl.excluded, []);
  assert.deepEqual(fl.flagged.map((c) => c.trackId), [99134, 98565]);
  assert.match(formatKnownBadReport(fl), /policy "flag"\): 2 kept but flagged/);

  const none = applyKnownBadPolicy(table.records.filter((r) => r.trackId === 2), "exclude");
  assert.equal(none.kept.length, 1);
  assert.match(formatKnownBadReport(none), /none of the 6 listed known-bad/);
  assert.throws(() => applyKnownBadPolicy(table.records, "drop" as never), /unknown known-bad policy/);
  assert.equal(KNOWN_BAD_CLIPS.length, 6);
});

test("real sample ../shared/fma-sample: splits, genre_top, genres_all with ancestors, flat audio", (t) => {
  const shared = sharedDir();
  const sampleDir = shared && path.join(shared, "fma-sample");
  if (!sampleDir || !fs.existsSync(path.join(sampleDir, "tracks.csv"))) {
    t.skip("../shared/fma-sample absent");
    return;
  }
  assert.deepEqual(checkDataset(sampleDir, "small"), []);
  const ds = openDataset(sampleDir);
  assert.equal(ds.audioLayout, "flat");
  assert.equal(ds.subset, "small");
  assert.deepEqual(ds.tracks.trackIds(), [2, 10, 140, 148, 182, 1039, 1066, 1082]);
  // Values as in the sample's tracks.csv (FMA's metadata for these 8 fma_small tracks).
  const expected: Record<number, [string, string, number[], number[]]> = {
    2: ["training", "Hip-Hop", [21], [21]],
    10: ["training", "Pop", [10], [10]],
    140: ["training", "Folk", [17], [17]],
    148: ["validation", "Experimental", [1], [1, 38]],
    182: ["test", "Rock", [27], [12, 27]],
    1039: ["training", "Rock", [53], [12, 45, 53]],
    1066: ["test", "Experimental", [22], [22, 38]],
    1082: ["training", "International", [2], [2]],
  };
  for (const r of ds.tracks.records) {
    const [split, top, g, gAll] = expected[r.trackId];
    assert.equal(r.split, split, `track ${r.trackId} split`);
    assert.equal(r.genreTop, top, `track ${r.trackId} genre_top`);
    assert.deepEqual(r.genres, g);
    assert.deepEqual(r.genresAll, gAll);
    // genres_all is genres plus ancestors, and genre_top is their shared root.
    assert.deepEqual(ds.genres.withAncestors(r.genres), r.genresAll);
    assert.equal(ds.genres.title(ds.genres.topLevelOf(r.genres[0])), r.genreTop);
    const file = ds.audioPathOf(r.trackId);
    assert.ok(fs.existsSync(file), `clip of ${r.trackId} at ${file}`);
    assert.equal(trackIdFromAudioPath(file), r.trackId);
  }
  assert.deepEqual(genresAllTitles(ds.tracks.byId(1039)!, ds.genres), ["Rock", "Loud-Rock", "Noise-Rock"]);
  assert.deepEqual(ds.checkAudio(), { present: ds.tracks.trackIds(), missing: [] });
  assert.deepEqual(ds.tracks.split("test").trackIds(), [182, 1066]);
  const df = ds.tracks.toDataFrame(["track.genre_top", "set.split"]);
  assert.deepEqual(df.shape, [8, 3]);
  assert.deepEqual(df["track.genre_top"].values, ds.tracks.records.map((r) => r.genreTop));
});
