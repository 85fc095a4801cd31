import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  loadGenres,
  loadTracks,
  parseTracksCsv,
  parseCsv,
  TRACKS_COLUMNS,
  TRACK_COLUMN_NAMES,
  tracksCsvHeaderRows,
  formatCsvRow,
  formatTrackRow,
  genresAllTitles,
  audioPath,
  flatAudioPath,
  trackIdFromAudioPath,
  parseFmaDate,
} from "../../src/data";
import { InputError } from "../../src/util";

const FIXTURES = path.join(__dirname, "..", "fixtures", "data");
// Hand-written in the real tracks.csv format: 3 tracks (small/training, medium/validation, large/test),
// track 2's artist.bio is a quoted two-line field with doubled quotes (rows start on lines 4, 6, 7).
const TRACKS_FILE = path.join(FIXTURES, "tracks-3.csv");
const genres = loadGenres(path.join(FIXTURES, "genres.csv"));
const fixtureText = fs.readFileSync(TRACKS_FILE, "utf8");

test("schema: 52 columns, the documented group sizes", () => {
  assert.equal(TRACKS_COLUMNS.length, 52);
  const per = (g: string) => TRACKS_COLUMNS.filter((c) => c[0] === g).length;
  assert.deepEqual([per("album"), per("artist"), per("set"), per("track")], [13, 17, 2, 20]);
  assert.equal(new Set(TRACK_COLUMN_NAMES).size, 52);
});

test("hand-made tracks.csv: typed values of every kind", () => {
  const table = loadTracks(TRACKS_FILE, { genres });
  assert.equal(table.size, 3);
  assert.deepEqual(table.trackIds(), [2, 5, 666]);
  const t2 = table.byId(2)!;
  assert.equal(t2.split, "training");
  assert.equal(t2.subset, "small");
  assert.equal(t2.genreTop, "Hip-Hop");
  assert.deepEqual(t2.genres, [21]);
  assert.deepEqual(t2.genresAll, [21]);
  assert.equal(t2.title, "Food");
  assert.equal(t2.artistName, "AWOL");
  assert.equal(t2.albumTitle, "AWOL - A Way Of Life");
  assert.equal(t2.duration, 168);
  assert.equal(t2.bitRate, 256000);
  assert.equal(t2.values["artist.bio"], '<p>A Way Of Life, a collective\nof "Hip-Hop" from NJ</p>');
  assert.equal(t2.values["artist.members"], "Sajje Morocco,Brownbum");
  assert.deepEqual(t2.values["artist.tags"], ["awol", "don't stop"]);
  assert.deepEqual(t2.values["album.tags"], []);
  assert.equal(t2.values["artist.latitude"], 40.058324);
  assert.equal(t2.values["artist.longitude"], -74.405661);
  assert.equal(t2.values["track.interest"], 4656);
  assert.equal(t2.values["track.language_code"], "en");
  assert.equal((t2.values["album.date_created"] as Date).toISOString(), "2008-11-26T01:44:45.000Z");
  assert.equal((t2.values["artist.active_year_begin"] as Date).toISOString(), "2006-01-01T00:00:00.000Z");
  assert.equal(t2.values["album.engineer"], null);
  assert.equal(Object.keys(t2.values).length, 52);

  const t5 = table.byId(5)!;
  assert.equal(t5.duration, 241.5);
  assert.equal(t5.title, "Title, with comma");
  assert.deepEqual(t5.genresAll, [12, 45, 53]);
  assert.deepEqual(t5.values["track.tags"], ["noise", "rock"]);
  assert.equal(t5.values["track.date_recorded"], null);
  assert.equal(t5.values["artist.latitude"], null);

  const t666 = table.byId(666)!;
  assert.equal(t666.genreTop, null); // genres span two roots
  assert.deepEqual(t666.genres, [1, 21]);
  assert.equal(t666.title, null);
  assert.equal(t666.values["artist.tags"], null);
  assert.equal(table.byId(3), undefined);
});

test("genres_all equals genres plus their ancestors, and titles follow", () => {
  const table = loadTracks(TRACKS_FILE, { genres });
  for (const r of table.records) assert.deepEqual(r.genresAll, genres.withAncestors(r.genres), `track ${r.trackId}`);
  assert.deepEqual(genresAllTitles(table.byId(5)!, genres), ["Rock", "Loud-Rock", "Noise-Rock"]);
});

test("subset() is ordered small ⊂ medium ⊂ large; split() selects; genreCounts counts genre_top", () => {
  const table = loadTracks(TRACKS_FILE);
  assert.deepEqual(table.subset("small").trackIds(), [2]);
  assert.deepEqual(table.subset("medium").trackIds(), [2, 5]);
  assert.deepEqual(table.subset("large").trackIds(), [2, 5, 666]);
  assert.deepEqual(table.split("validation").trackIds(), [5]);
  assert.deepEqual(table.subset("medium").split("training").trackIds(), [2]);
  assert.deepEqual(table.genreCounts(), [
    { genre: "Hip-Hop", count: 1 },
    { genre: "Rock", count: 1 },
    { genre: null, count: 1 },
  ]);
  assert.throws(() => table.subset("tiny" as never), /unknown subset "tiny"/);
});

test("header: a wrong column name names file, line and the first wrong column", () => {
  const bad = fixtureText.replace(",genres,genres_all,", ",genre,genres_all,");
  assert.throws(
    () => parseTracksCsv(bad, "tracks.csv"),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.file, "tracks.csv");
      assert.equal(err.line, 2);
      assert.equal(err.column, "track.genres");
      assert.match(err.message, /^tracks\.csv \(line 2, column track\.genres\): .*expected `track\.genres` got `track\.genre`/);
      return true;
    },
  );
});

test("header: wrong group row, missing index row, extra column", () => {
  const rows = fixtureText.split("\n");
  const groupBad = [rows[0].replace(",set,set,", ",set,sets,"), ...rows.slice(1)].join("\n");
  assert.throws(() => parseTracksCsv(groupBad, "t.csv"), /t\.csv \(line 1, column set\.subset\): bad header \(group row\): expected `set` got `sets`/);
  const noIndex = [rows[0], rows[1], ...rows.slice(3)].join("\n");
  assert.throws(() => parseTracksCsv(noIndex, "t.csv"), /t\.csv \(line 3, column track_id\): bad header \(index row\): expected `track_id` got `2`/);
  const extra = [rows[0] + ",x", ...rows.slice(1)].join("\n");
  assert.throws(() => parseTracksCsv(extra, "t.csv"), /line 1.*expected no more columns got `x`/);
  assert.throws(() => parseTracksCsv(rows[0] + "\n", "t.csv"), /t\.csv \(line 2\): missing header row 2 of 3/);
});

test("the header written from the schema is accepted; formatTrackRow round-trips typed values", () => {
  const table = loadTracks(TRACKS_FILE, { genres });
  const text =
    [...tracksCsvHeaderRows().map(formatCsvRow), ...table.records.map((r) => formatTrackRow(r.trackId, r.values))].join("\n") + "\n";
  const again = parseTracksCsv(text, "rewritten.csv", { genres });
  assert.deepEqual(
    again.records.map((r) => r.values),
    table.records.map((r) => r.values),
  );
  // The schema's header rows are byte-identical to the fixture's (which copies the real file's header).
  assert.equal(text.split("\n").slice(0, 3).join("\n"), fixtureText.split("\n").slice(0, 3).join("\n"));
});

test("bad cells: errors name file, line, column and track; 'record' mode keeps going", () => {
  const lines = fixtureText.split("\n");
  // line index 5 = file line 6 = track 5 (track 2 spans lines 4-5).
  const badBitRate = lines.map((l, i) => (i === 5 ? l.replace(",320000,", ",320k,") : l)).join("\n");
  assert.throws(
    () => parseTracksCsv(badBitRate, "tracks.csv"),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.line, 6);
      assert.equal(err.column, "track.bit_rate");
      assert.match(err.message, /tracks\.csv \(line 6, column track\.bit_rate\): track 5: expected an integer, got "320k"/);
      return true;
    },
  );
  const recorded = parseTracksCsv(badBitRate, "tracks.csv", { badValues: "record" });
  assert.equal(recorded.size, 3);
  assert.equal(recorded.byId(5)!.bitRate, null);
  assert.equal(recorded.problems.length, 1);
  assert.equal(recorded.problems[0].column, "track.bit_rate");

  const badDate = fixtureText.replace("2008-11-26 01:45:00", "26/11/2008");
  assert.throws(() => parseTracksCsv(badDate, "t.csv"), /t\.csv \(line 6, column album\.date_created\): track 5: expected a date/);
  const badList = fixtureText.replace('"[12, 45, 53]"', '"[12, 45"');
  assert.throws(() => parseTracksCsv(badList, "t.csv"), /t\.csv \(line 6, column track\.genres_all\): missing '\]'/);
  const badSplit = fixtureText.replace(",validation,medium,", ",valid,medium,");
  assert.throws(() => parseTracksCsv(badSplit, "t.csv"), /column set\.split\): track 5: unknown split "valid"/);
  const badSubset = fixtureText.replace(",validation,medium,", ",validation,huge,");
  assert.throws(() => parseTracksCsv(badSubset, "t.csv"), /column set\.subset\): track 5: unknown subset "huge"/);
  const shortRow = fixtureText.replace(',"Title, with comma"', "");
  assert.throws(() => parseTracksCsv(shortRow, "t.csv"), /t\.csv \(line 6\): expected 53 cells/);
  const dupId = fixtureText.replace("\n666,", "\n5,");
  assert.throws(() => parseTracksCsv(dupId, "t.csv"), /line 7, column track_id\): duplicate track id 5 \(first on line 6\)/);
});

test("unknown genre ids are InputErrors when genres.csv is given", () => {
  const bad = fixtureText.replace('"[1, 21, 38]"', '"[1, 21, 38, 9999]"');
  assert.throws(
    () => parseTracksCsv(bad, "tracks.csv", { genres }),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.line, 7);
      assert.equal(err.column, "track.genres_all");
      assert.match(err.message, /unknown genre id 9999 in track\.genres_all; not in genres\.csv/);
      return true;
    },
  );
  assert.equal(parseTracksCsv(bad, "tracks.csv").byId(666)!.genresAll.at(-1), 9999); // unchecked without genres
  const badTop = fixtureText.replace(",Hip-Hop,[21],", ",Noise-Rock,[21],");
  assert.throws(() => parseTracksCsv(badTop, "t.csv", { genres }), /column track\.genre_top\): .*"Noise-Rock" is not a top-level genre/);
});

test("CRLF line ends parse the same", () => {
  const crlf = parseTracksCsv(fixtureText.replace(/\n/g, "\r\n"), "crlf.csv", { genres });
  const lf = parseTracksCsv(fixtureText, "lf.csv", { genres });
  assert.equal(crlf.byId(2)!.values["artist.bio"], '<p>A Way Of Life, a collective\r\nof "Hip-Hop" from NJ</p>');
  assert.deepEqual(crlf.trackIds(), lf.trackIds());
  assert.deepEqual(crlf.byId(5)!.values, lf.byId(5)!.values);
});

test("parseFmaDate accepts FMA's forms and rejects impossible dates", () => {
  assert.equal(parseFmaDate("2008-11-26 01:44:45")!.toISOString(), "2008-11-26T01:44:45.000Z");
  assert.equal(parseFmaDate("2009-01-05")!.toISOString(), "2009-01-05T00:00:00.000Z");
  assert.equal(parseFmaDate("1990")!.toISOString(), "1990-01-01T00:00:00.000Z");
  assert.equal(parseFmaDate("0050-01-01")!.getUTCFullYear(), 50);
  assert.equal(parseFmaDate("2009-02-30"), null);
  assert.equal(parseFmaDate("2009-13-01"), null);
  assert.equal(parseFmaDate("yesterday"), null);
});

test("audio paths: 6-digit id, first 3 digits as folder; and back", () => {
  assert.equal(audioPath("/data/fma_small", 2), path.join("/data/fma_small", "000", "000002.mp3"));
  assert.equal(audioPath("d", 133297), path.join("d", "133", "133297.mp3"));
  assert.equal(flatAudioPath("d", 1039), path.join("d", "001039.mp3"));
  assert.equal(trackIdFromAudioPath("/x/fma_small/133/133297.mp3"), 133297);
  assert.equal(trackIdFromAudioPath("000002.mp3"), 2);
  assert.throws(() => trackIdFromAudioPath("/x/2.mp3"), /not an FMA clip name/);
  assert.throws(() => audioPath("d", 1_000_000), /track id must be an integer/);
  assert.throws(() => audioPath("d", 2.5), /track id must be an integer/);
});

test("toDataFrame: shape, flat column names, dtypes, lists as text, dates as ISO", () => {
  const table = loadTracks(TRACKS_FILE, { genres });
  const all = table.toDataFrame();
  assert.deepEqual(all.shape, [3, 53]);
  assert.deepEqual(all.columns, ["track_id", ...TRACK_COLUMN_NAMES]);
  const df = table.toDataFrame(["track.genre_top", "track.genres_all", "track.bit_rate", "track.duration", "album.date_created", "track.interest"]);
  assert.deepEqual(df.shape, [3, 7]);
  assert.deepEqual(df.dtypes, ["int32", "string", "string", "int32", "float32", "string", "float32"]);
  assert.deepEqual(df["track_id"].values, [2, 5, 666]);
  assert.deepEqual(df["track.genres_all"].values, ["[21]", "[12, 45, 53]", "[1, 21, 38]"]);
  assert.deepEqual(df["track.bit_rate"].values, [256000, 320000, 128000]);
  assert.equal(df["album.date_created"].values[0], "2008-11-26T01:44:45.000Z");
  assert.equal(df["album.date_created"].values[2], null);
  assert.ok(Number.isNaN(df["track.interest"].values[2])); // int column with a gap → float32 NaN
  assert.equal(df["track.genre_top"].values[2], null);
  assert.throws(() => table.toDataFrame(["track.genre"]), /unknown tracks\.csv column "track\.genre"/);
  assert.deepEqual(table.subset("small").split("test").toDataFrame(["track.title"]).columns, ["track_id", "track.title"]);
});

test("one copy of @tensorflow/tfjs-core, shared by danfojs-node and @tensorflow/tfjs", () => {
  const root = path.resolve(__dirname, "..", "..");
  // On disk: exactly one tfjs-core package anywhere under node_modules.
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8 || !fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === "tfjs-core" && path.basename(dir) === "@tensorflow") found.push(p);
      else if (e.name === "node_modules" || e.name.startsWith("@") || path.basename(dir) === "node_modules" || path.basename(dir).startsWith("@")) walk(p, depth + 1);
    }
  };
  walk(path.join(root, "node_modules"), 0);
  assert.deepEqual(found, [path.join(root, "node_modules", "@tensorflow", "tfjs-core")]);

  // The resolution chain: danfojs-node → @tensorflow/tfjs-node (aliased to @tensorflow/tfjs) → tfjs-core at root.
  const danfoDir = path.dirname(require.resolve("danfojs-node/package.json"));
  const tfnodePkg = require.resolve("@tensorflow/tfjs-node/package.json", { paths: [danfoDir] });
  assert.equal(JSON.parse(fs.readFileSync(tfnodePkg, "utf8")).name, "@tensorflow/tfjs");
  const coreFromDanfo = require.resolve("@tensorflow/tfjs-core/package.json", { paths: [path.dirname(tfnodePkg)] });
  assert.equal(coreFromDanfo, require.resolve("@tensorflow/tfjs-core/package.json"));

  // In memory: after loading both, every cached tfjs-core module file comes from that one folder.
  require("danfojs-node");
  require("@tensorflow/tfjs");
  const coreDirs = new Set(
    Object.keys(require.cache)
      .filter((k) => k.includes(`${path.sep}@tensorflow${path.sep}tfjs-core${path.sep}`))
      .map((k) => k.slice(0, k.indexOf(`${path.sep}tfjs-core${path.sep}`) + "/tfjs-core".length)),
  );
  assert.deepEqual([...coreDirs], [path.join(root, "node_modules", "@tensorflow", "tfjs-core")]);
});

test("the fixture agrees with an independent cell count (53 per row, rows on lines 1-4, 6, 7)", () => {
  const { rows, lines } = parseCsv(fixtureText, "fixture");
  assert.deepEqual(rows.map((r) => r.length), [53, 53, 53, 53, 53, 53]);
  assert.deepEqual(lines, [1, 2, 3, 4, 6, 7]);
});
