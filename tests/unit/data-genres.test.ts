import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { loadGenres, parseGenresCsv, FMA_SMALL_GENRES } from "../../src/data";
import { InputError } from "../../src/util";

// FMA's own genres.csv (fma_metadata), copied from ../shared/fma-sample; sha1 from fma_metadata/checksums.
const GENRES_FILE = path.join(__dirname, "..", "fixtures", "data", "genres.csv");
const GENRES_SHA1 = "d2f3a75be03441d324ef9815d23bad33d149c831";

test("the genres.csv fixture is FMA's file (sha1 from fma_metadata/checksums)", () => {
  const sha1 = createHash("sha1").update(fs.readFileSync(GENRES_FILE)).digest("hex");
  assert.equal(sha1, GENRES_SHA1);
});

test("real genres.csv: 163 genres, the 16 documented roots", () => {
  const tree = loadGenres(GENRES_FILE);
  assert.equal(tree.genres.length, 163);
  const roots = tree.roots().map((g) => [g.id, g.title]);
  assert.deepEqual(roots, [
    [2, "International"],
    [3, "Blues"],
    [4, "Jazz"],
    [5, "Classical"],
    [8, "Old-Time / Historic"],
    [9, "Country"],
    [10, "Pop"],
    [12, "Rock"],
    [13, "Easy Listening"],
    [14, "Soul-RnB"],
    [15, "Electronic"],
    [17, "Folk"],
    [20, "Spoken"],
    [21, "Hip-Hop"],
    [38, "Experimental"],
    [1235, "Instrumental"],
  ]);
  const titles = tree.topLevelTitles();
  assert.equal(titles.length, 16);
  for (const g of FMA_SMALL_GENRES) assert.ok(titles.includes(g), `${g} is a root`);
  assert.deepEqual([...titles].sort(), titles);
});

test("real genres.csv: ancestors, topLevel, children, withAncestors", () => {
  const tree = loadGenres(GENRES_FILE);
  assert.equal(tree.title(53), "Noise-Rock");
  assert.deepEqual(tree.ancestors(53), [45, 12]); // Noise-Rock → Loud-Rock → Rock
  assert.equal(tree.title(45), "Loud-Rock");
  assert.equal(tree.topLevelOf(53), 12);
  assert.deepEqual(tree.ancestors(16), [6, 38]); // Sound Effects → Novelty → Experimental
  assert.equal(tree.topLevelOf(16), 38);
  assert.deepEqual(tree.ancestors(12), []);
  assert.equal(tree.parentOf(12), null);
  assert.equal(tree.parentOf(1), 38);
  assert.deepEqual(tree.withAncestors([53]), [12, 45, 53]); // track 1039's genres_all in FMA's docs
  assert.deepEqual(tree.withAncestors([1, 21]), [1, 21, 38]);
  assert.deepEqual(tree.withAncestors([]), []);
  assert.ok(tree.children(6).some((g) => g.id === 16));
  assert.ok(tree.children(12).every((g) => g.parent === 12));
  // Every genre's stored top_level is the end of its ancestor chain.
  for (const g of tree.genres) {
    const chain = tree.ancestors(g.id);
    assert.equal(chain.length ? chain[chain.length - 1] : g.id, g.topLevel, `genre ${g.id}`);
  }
  assert.ok(tree.has(1235));
  assert.ok(!tree.has(9999));
  assert.throws(() => tree.get(9999), /unknown genre id 9999/);
  assert.throws(() => tree.ancestors(9999), /9999/);
});

const HEADER = "genre_id,#tracks,parent,title,top_level\n";

test("parseGenresCsv: wrong header names line and column", () => {
  assert.throws(
    () => parseGenresCsv("genre_id,tracks,parent,title,top_level\n1,2,0,X,1\n", "g.csv"),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.line, 1);
      assert.equal(err.column, "#tracks");
      assert.match(err.message, /^g\.csv \(line 1, column #tracks\): .*expected `#tracks` got `tracks`/);
      return true;
    },
  );
});

test("parseGenresCsv: bad int, unknown parent, bad top_level, cycle, duplicate id", () => {
  assert.throws(() => parseGenresCsv(HEADER + "1,2,0,A,1\n2,many,1,B,1\n", "g.csv"), /g\.csv \(line 3, column #tracks\): expected an integer/);
  assert.throws(() => parseGenresCsv(HEADER + "1,2,0,A,1\n2,5,77,B,1\n", "g.csv"), /g\.csv \(line 3, column parent\): genre 2 has unknown parent 77/);
  assert.throws(() => parseGenresCsv(HEADER + "1,2,0,A,1\n2,5,1,B,2\n", "g.csv"), /line 3, column top_level\): genre 2: top_level is 2 but its root is 1/);
  assert.throws(() => parseGenresCsv(HEADER + "1,2,2,A,1\n2,5,1,B,1\n", "g.csv"), /cycle/);
  assert.throws(() => parseGenresCsv(HEADER + "1,2,0,A,1\n1,5,0,B,1\n", "g.csv"), /line 3, column genre_id\): duplicate genre_id 1/);
  assert.throws(() => parseGenresCsv(HEADER + "1,2,0\n", "g.csv"), /line 2\): expected 5 cells, got 3/);
});

test("parseGenresCsv: quoted titles with commas are kept whole", () => {
  const tree = parseGenresCsv(HEADER + '1,10,0,"Rock, Loud",1\n2,3,1,"Sub ""genre""",1\n', "g.csv");
  assert.equal(tree.title(1), "Rock, Loud");
  assert.equal(tree.title(2), 'Sub "genre"');
  assert.deepEqual(tree.topLevelTitles(), ["Rock, Loud"]);
});
