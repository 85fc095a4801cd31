// genres_all co-occurrence and hypothesis tests, checked by hand on a tiny fixture.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { GenreTree } from "../../src/data/genres";
import type { TrackRecord } from "../../src/data/tracks";
import {
  bridgingGenres,
  genreCooccurrence,
  subgenreErrorRates,
  testGenresAllHypothesis,
  topGenreCooccurrence,
  withinAcrossSummary,
} from "../../src/analysis/genres";
import { chiSquareIndependence, chiSquareSurvival, gammaQ, permutationTestProportions } from "../../src/analysis/stats";

// Tree: Rock 12 → Punk 25, Loud-Rock 45 → Noise-Rock 53; Pop 10 → Synth-Pop 76; Electronic 15.
const tree = new GenreTree([
  { id: 10, tracks: 0, parent: null, title: "Pop", topLevel: 10 },
  { id: 12, tracks: 0, parent: null, title: "Rock", topLevel: 12 },
  { id: 15, tracks: 0, parent: null, title: "Electronic", topLevel: 15 },
  { id: 25, tracks: 0, parent: 12, title: "Punk", topLevel: 12 },
  { id: 45, tracks: 0, parent: 12, title: "Loud-Rock", topLevel: 12 },
  { id: 53, tracks: 0, parent: 45, title: "Noise-Rock", topLevel: 12 },
  { id: 76, tracks: 0, parent: 10, title: "Synth-Pop", topLevel: 10 },
]);

function track(trackId: number, genreTop: string | null, genresAll: number[]): TrackRecord {
  return {
    trackId, split: "test", subset: "small", genreTop, genres: genresAll, genresAll, title: `t${trackId}`,
    artistName: null, albumTitle: null, duration: null, bitRate: null, values: {},
  };
}

const records = [
  track(1, "Rock", [12, 25]),
  track(2, "Rock", [12, 45, 53]),
  track(3, "Rock", [12, 25]),
  track(4, "Pop", [10, 76]),
  track(5, null, [10, 12, 25, 76]), // spans Pop and Rock (no genre_top, as in FMA)
  track(6, "Electronic", [15]),
];

test("co-occurrence counts, Jaccard and PMI match hand computation", () => {
  const m = genreCooccurrence(records, tree);
  assert.deepEqual(m.ids, [10, 12, 15, 25, 45, 53, 76]);
  const i = (g: number) => m.ids.indexOf(g);
  assert.equal(m.tracks, 6);
  assert.equal(m.counts[i(12)][i(12)], 4); // tracks 1, 2, 3, 5
  assert.equal(m.counts[i(12)][i(25)], 3); // 1, 3, 5
  assert.equal(m.counts[i(10)][i(25)], 1); // 5
  assert.equal(m.counts[i(15)][i(12)], 0);
  // Jaccard(Rock, Punk) = 3 / (4 + 3 − 3) = 0.75
  assert.ok(Math.abs(m.jaccard[i(12)][i(25)] - 0.75) < 1e-12);
  // PMI(Pop, Synth-Pop) = ln(2·6 / (2·2)) = ln 3
  assert.ok(Math.abs((m.pmi[i(10)][i(76)] as number) - Math.log(3)) < 1e-12);
  assert.equal(m.pmi[i(15)][i(12)], null);
  assert.deepEqual(m.titles.slice(0, 3), ["Pop", "Rock", "Electronic"]);
});

test("top-genre co-occurrence and bridging genres find the one cross-root track", () => {
  const top = topGenreCooccurrence(records, tree);
  const i = (g: number) => top.ids.indexOf(g);
  assert.deepEqual(top.ids, [10, 12, 15]);
  assert.equal(top.counts[i(10)][i(12)], 1);
  assert.equal(top.counts[i(12)][i(12)], 4);
  const bridges = bridgingGenres(records, tree);
  // Track 5 bridges Pop and Rock: genres 10, 12, 25, 76 each bridge once.
  assert.deepEqual(bridges.map((b) => b.genreId).sort((a, b) => a - b), [10, 12, 25, 76]);
  const punk = bridges.find((b) => b.genreId === 25)!;
  assert.deepEqual(punk.otherRoots, { Pop: 1 });
  assert.equal(punk.tracks, 3);
});

test("within/across summary skips ancestor pairs", () => {
  const m = genreCooccurrence(records, tree);
  const s = withinAcrossSummary(m, tree);
  // Within-root non-ancestor pairs: Rock (25,45), (25,53); Pop: none (76's only partner is its parent).
  assert.equal(s.within.pairs, 2);
  assert.equal(s.within.cooccurringPairs, 0);
  assert.ok(s.across.pairs > 0);
});

test("a genre id missing from genres.csv is named", () => {
  assert.throws(() => genreCooccurrence([track(9, "Rock", [12, 999])], tree), /999.*genres\.csv/);
});

test("hypothesis test: counts per (true, predicted) pair and a significant pooled effect", () => {
  // 20 Rock tracks: 10 predicted Pop, all carrying Synth-Pop; 10 correct, none carrying a Pop genre.
  const recs: TrackRecord[] = [];
  const preds = [];
  for (let k = 0; k < 20; k++) {
    const mis = k < 10;
    recs.push(track(100 + k, mis ? null : "Rock", mis ? [10, 12, 76] : [12]));
    preds.push({ trackId: 100 + k, trueGenre: "Rock", predictedGenre: mis ? "Pop" : "Rock" });
  }
  const byId = new Map(recs.map((r) => [r.trackId, r]));
  const res = testGenresAllHypothesis(preds, byId, tree, { permutations: 2000, seed: 1 });
  assert.equal(res.pairs.length, 1);
  const p = res.pairs[0];
  assert.deepEqual([p.misclassified, p.misclassifiedWithTag, p.correct, p.correctWithTag], [10, 10, 10, 0]);
  assert.equal(p.difference, 1);
  assert.ok(p.pValue < 0.01, `p = ${p.pValue}`);
  assert.ok(res.pooled.pValue !== null && res.pooled.pValue < 0.001);
  // No effect when tags are spread evenly: p must be large.
  const even = recs.map((r, k) => track(r.trackId, "Rock", k % 2 === 0 ? [10, 12, 76] : [12]));
  const res2 = testGenresAllHypothesis(preds, new Map(even.map((r) => [r.trackId, r])), tree, { seed: 1 });
  assert.ok(res2.pairs[0].pValue > 0.5, `p = ${res2.pairs[0].pValue}`);
  assert.throws(() => testGenresAllHypothesis([], byId, tree), /no predictions/);
});

test("subgenre error rates and χ² within a top genre", () => {
  const recs: TrackRecord[] = [];
  const preds = [];
  for (let k = 0; k < 40; k++) {
    const punk = k < 20;
    recs.push(track(200 + k, "Rock", punk ? [12, 25] : [12, 45, 53]));
    // Punk: 2/20 wrong; Noise-Rock: 14/20 wrong.
    const wrong = punk ? k < 2 : k < 34;
    preds.push({ trackId: 200 + k, trueGenre: "Rock", predictedGenre: wrong ? "Pop" : "Rock" });
  }
  const res = subgenreErrorRates(preds, new Map(recs.map((r) => [r.trackId, r])), tree);
  assert.equal(res.length, 1);
  const punk = res[0].subgenres.find((s) => s.genreId === 25)!;
  const noise = res[0].subgenres.find((s) => s.genreId === 53)!;
  assert.deepEqual([punk.tracks, punk.errors], [20, 2]);
  assert.deepEqual([noise.tracks, noise.errors], [20, 14]);
  assert.equal(res[0].chiSquare.df, 1);
  assert.ok(res[0].chiSquare.pValue < 0.001);
});

test("χ² machinery matches known values", () => {
  // Q(1, x) = e^{−x}; χ²(2) survival = e^{−x/2}.
  assert.ok(Math.abs(gammaQ(1, 2.5) - Math.exp(-2.5)) < 1e-12);
  assert.ok(Math.abs(chiSquareSurvival(5.991464547, 2) - 0.05) < 1e-8);
  assert.ok(Math.abs(chiSquareSurvival(3.841458821, 1) - 0.05) < 1e-8);
  assert.ok(Math.abs(chiSquareSurvival(30, 10) - 0.000857) < 1e-5);
  // [[10, 20], [30, 40]]: expected [[12, 18], [28, 42]], χ² = 4/12 + 4/18 + 4/28 + 4/42.
  const r = chiSquareIndependence([[10, 20], [30, 40]]);
  assert.ok(Math.abs(r.statistic - (4 / 12 + 4 / 18 + 4 / 28 + 4 / 42)) < 1e-12);
  assert.equal(r.df, 1);
  const perm = permutationTestProportions([1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], { permutations: 5000, seed: 3 });
  // Exact two-sided p for a perfect split of 6 vs 6: 2 / C(12, 6) = 2/924; the estimate is close.
  assert.ok(perm.pValue < 0.01 && perm.difference === 1);
});
