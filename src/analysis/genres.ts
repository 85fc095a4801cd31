// genres_all co-occurrence and the seed study's hypotheses about its errors:
//  (1) a misclassified track often carries genres of the genre the model predicted
//      (tested per (true, predicted) pair with a permutation test, pooled with Cochran–Mantel–Haenszel);
//  (2) a top genre covers subgenres that sound different, so error rates differ by subgenre
//      (χ² test of subgenre × correct within each top genre).
import type { GenreTree } from "../data/genres";
import type { TrackRecord } from "../data/tracks";
import { chiSquareIndependence, chiSquareSurvival, oddsRatio, permutationTestProportions } from "./stats";

export interface CooccurrenceMatrix {
  ids: number[];
  titles: string[];
  /** counts[i][j]: tracks carrying both genres; the diagonal holds each genre's track count. */
  counts: number[][];
  /** |A ∩ B| / |A ∪ B| over tracks. */
  jaccard: number[][];
  /** ln(P(a, b) / (P(a) P(b))), null where the pair never co-occurs. */
  pmi: (number | null)[][];
  /** Tracks counted (those carrying at least one of the genres). */
  tracks: number;
}

export interface CooccurrenceOptions {
  /** Which list to use: genres_all (default, ancestors included) or genres. */
  field?: "genresAll" | "genres";
  /** Keep only genres carried by at least this many tracks (default 1). */
  minTracks?: number;
  /** Restrict to these genre ids (in this order). */
  genreIds?: number[];
}

function genreList(r: TrackRecord, field: "genresAll" | "genres"): number[] {
  return field === "genres" ? r.genres : r.genresAll;
}

/** Genre × genre co-occurrence over tracks: counts, Jaccard and PMI. */
export function genreCooccurrence(records: TrackRecord[], tree: GenreTree, opts: CooccurrenceOptions = {}): CooccurrenceMatrix {
  const field = opts.field ?? "genresAll";
  for (const r of records) {
    for (const g of genreList(r, field)) {
      if (!tree.has(g)) throw new Error(`track ${r.trackId}: genre id ${g} in ${field === "genres" ? "track.genres" : "track.genres_all"} is missing from genres.csv`);
    }
  }
  let ids = opts.genreIds;
  if (!ids) {
    const totals = new Map<number, number>();
    for (const r of records) for (const g of new Set(genreList(r, field))) totals.set(g, (totals.get(g) ?? 0) + 1);
    ids = [...totals.entries()].filter(([, n]) => n >= (opts.minTracks ?? 1)).map(([g]) => g).sort((a, b) => a - b);
  }
  const index = new Map(ids.map((g, i) => [g, i]));
  const k = ids.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let tracks = 0;
  for (const r of records) {
    const present = [...new Set(genreList(r, field))].map((g) => index.get(g)).filter((i): i is number => i !== undefined);
    if (present.length === 0) continue;
    tracks++;
    for (const i of present) for (const j of present) counts[i][j]++;
  }
  const jaccard = counts.map((row, i) => row.map((c, j) => {
    const union = counts[i][i] + counts[j][j] - c;
    return union > 0 ? c / union : 0;
  }));
  const pmi = counts.map((row, i) => row.map((c, j) =>
    c > 0 ? Math.log((c * tracks) / (counts[i][i] * counts[j][j])) : null));
  return { ids, titles: ids.map((g) => tree.title(g)), counts, jaccard, pmi, tracks };
}

/** Top-genre × top-genre co-occurrence: each track counts once for every root its genres_all reaches. */
export function topGenreCooccurrence(records: TrackRecord[], tree: GenreTree): CooccurrenceMatrix {
  const asRoots: TrackRecord[] = records.map((r) => ({
    ...r,
    genresAll: [...new Set(r.genresAll.map((g) => tree.topLevelOf(g)))].sort((a, b) => a - b),
  }));
  return genreCooccurrence(asRoots, tree, { field: "genresAll" });
}

export interface SubgenreCooccurrence extends CooccurrenceMatrix {
  /** Top genre of each subgenre (same order as ids). */
  roots: string[];
  /** Tracks carrying each subgenre (the diagonal of counts). */
  support: number[];
}

/**
 * Co-occurrence of the `top` most frequent subgenres (non-root genres in genres_all, so ancestors count):
 * the question the top-genre matrix cannot answer, since a track with a genre_top has all its genres under
 * one root. Ordered by top genre, then support (blocks along the diagonal); ties by id.
 */
export function subgenreCooccurrence(records: TrackRecord[], tree: GenreTree, opts: { top?: number; minTracks?: number } = {}): SubgenreCooccurrence {
  const totals = new Map<number, number>();
  for (const r of records) {
    for (const g of new Set(r.genresAll)) {
      if (!tree.has(g)) throw new Error(`track ${r.trackId}: genre id ${g} in track.genres_all is missing from genres.csv`);
      if (tree.topLevelOf(g) !== g) totals.set(g, (totals.get(g) ?? 0) + 1);
    }
  }
  const ranked = [...totals.entries()]
    .filter(([, n]) => n >= (opts.minTracks ?? 1))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, opts.top ?? 20);
  const rootTitle = (g: number) => tree.title(tree.topLevelOf(g));
  const ids = ranked
    .sort((a, b) => rootTitle(a[0]).localeCompare(rootTitle(b[0])) || b[1] - a[1] || a[0] - b[0])
    .map(([g]) => g);
  const m = genreCooccurrence(records, tree, { field: "genresAll", genreIds: ids });
  return { ...m, roots: ids.map(rootTitle), support: ids.map((_, i) => m.counts[i][i]) };
}

/** Mean Jaccard of genre pairs within one top genre versus across top genres (hierarchy-aware summary). */
export function withinAcrossSummary(m: CooccurrenceMatrix, tree: GenreTree): {
  within: { pairs: number; meanJaccard: number; cooccurringPairs: number };
  across: { pairs: number; meanJaccard: number; cooccurringPairs: number };
} {
  const acc = { within: { pairs: 0, sum: 0, co: 0 }, across: { pairs: 0, sum: 0, co: 0 } };
  for (let i = 0; i < m.ids.length; i++) {
    for (let j = i + 1; j < m.ids.length; j++) {
      const same = tree.topLevelOf(m.ids[i]) === tree.topLevelOf(m.ids[j]);
      // A genre and its own ancestor always co-occur in genres_all: that says nothing.
      if (tree.ancestors(m.ids[i]).includes(m.ids[j]) || tree.ancestors(m.ids[j]).includes(m.ids[i])) continue;
      const a = same ? acc.within : acc.across;
      a.pairs++;
      a.sum += m.jaccard[i][j];
      if (m.counts[i][j] > 0) a.co++;
    }
  }
  const out = (a: { pairs: number; sum: number; co: number }) => ({
    pairs: a.pairs,
    meanJaccard: a.pairs > 0 ? a.sum / a.pairs : 0,
    cooccurringPairs: a.co,
  });
  return { within: out(acc.within), across: out(acc.across) };
}

export interface BridgingGenre {
  genreId: number;
  title: string;
  topLevel: string;
  /** Tracks carrying this genre. */
  tracks: number;
  /** Tracks carrying this genre and a genre under another root, by that root's title. */
  otherRoots: Record<string, number>;
  bridgingTracks: number;
}

/** Genres whose tracks also carry genres of other top genres, most bridging first. */
export function bridgingGenres(records: TrackRecord[], tree: GenreTree): BridgingGenre[] {
  const stats = new Map<number, BridgingGenre>();
  for (const r of records) {
    const roots = new Set(r.genresAll.map((g) => tree.topLevelOf(g)));
    for (const g of new Set(r.genresAll)) {
      const root = tree.topLevelOf(g);
      let s = stats.get(g);
      if (!s) {
        s = { genreId: g, title: tree.title(g), topLevel: tree.title(root), tracks: 0, otherRoots: {}, bridgingTracks: 0 };
        stats.set(g, s);
      }
      s.tracks++;
      const others = [...roots].filter((x) => x !== root);
      if (others.length > 0) s.bridgingTracks++;
      for (const o of others) s.otherRoots[tree.title(o)] = (s.otherRoots[tree.title(o)] ?? 0) + 1;
    }
  }
  return [...stats.values()]
    .filter((s) => s.bridgingTracks > 0)
    .sort((a, b) => b.bridgingTracks - a.bridgingTracks || a.genreId - b.genreId);
}

/** One test-set prediction at track level. */
export interface TrackPrediction {
  trackId: number;
  trueGenre: string;
  predictedGenre: string;
}

export interface PairEvidence {
  trueGenre: string;
  predictedGenre: string;
  /** Tracks of trueGenre predicted as predictedGenre, and how many carry a genre under predictedGenre. */
  misclassified: number;
  misclassifiedWithTag: number;
  /** Correctly classified tracks of trueGenre, and how many carry a genre under predictedGenre. */
  correct: number;
  correctWithTag: number;
  /** Rate difference (misclassified − correct) and its permutation p-value (two-sided). */
  difference: number;
  pValue: number;
  oddsRatio: number;
}

export interface GenresAllHypothesisResult {
  pairs: PairEvidence[];
  /** Cochran–Mantel–Haenszel test pooling the (true, predicted) strata. */
  pooled: {
    misclassified: number;
    misclassifiedWithTag: number;
    correct: number;
    correctWithTag: number;
    mantelHaenszelOddsRatio: number | null;
    cmhStatistic: number | null;
    pValue: number | null;
  };
  /** Plain-language summary, including when the data cannot answer. */
  conclusion: string;
}

function carriesTagUnder(record: TrackRecord, rootId: number, tree: GenreTree): boolean {
  return record.genresAll.some((g) => g !== rootId && tree.topLevelOf(g) === rootId) ||
    (record.genreTop !== tree.title(rootId) && record.genresAll.includes(rootId));
}

/**
 * The seed's hypothesis, tested: do misclassified tracks more often carry a genres_all entry under
 * the genre they were mistaken for than correctly classified tracks of the same true genre?
 */
export function testGenresAllHypothesis(
  predictions: TrackPrediction[],
  recordsById: Map<number, TrackRecord>,
  tree: GenreTree,
  opts: { permutations?: number; seed?: number } = {},
): GenresAllHypothesisResult {
  if (predictions.length === 0) throw new Error("testGenresAllHypothesis: no predictions (is the test split empty?)");
  const byTrue = new Map<string, TrackPrediction[]>();
  for (const p of predictions) {
    if (!recordsById.has(p.trackId)) throw new Error(`prediction for track ${p.trackId}, which is not in tracks.csv`);
    const list = byTrue.get(p.trueGenre) ?? [];
    list.push(p);
    byTrue.set(p.trueGenre, list);
  }
  const pairs: PairEvidence[] = [];
  // Cochran–Mantel–Haenszel accumulators over strata (2×2 tables: group × carries-tag).
  let sumA = 0, sumE = 0, sumV = 0, mhNum = 0, mhDen = 0;
  const pooled = { misclassified: 0, misclassifiedWithTag: 0, correct: 0, correctWithTag: 0 };
  for (const [trueGenre, preds] of [...byTrue.entries()].sort()) {
    const correct = preds.filter((p) => p.predictedGenre === trueGenre);
    const wrongTargets = [...new Set(preds.filter((p) => p.predictedGenre !== trueGenre).map((p) => p.predictedGenre))].sort();
    for (const predictedGenre of wrongTargets) {
      const root = tree.rootByTitle(predictedGenre);
      if (!root) throw new Error(`predicted genre "${predictedGenre}" is not a root genre in genres.csv`);
      const mis = preds.filter((p) => p.predictedGenre === predictedGenre);
      const misTags = mis.map((p) => (carriesTagUnder(recordsById.get(p.trackId)!, root.id, tree) ? 1 : 0));
      const corTags = correct.map((p) => (carriesTagUnder(recordsById.get(p.trackId)!, root.id, tree) ? 1 : 0));
      const a = misTags.reduce<number>((s, x) => s + x, 0);
      const c = corTags.reduce<number>((s, x) => s + x, 0);
      const b = mis.length - a;
      const d = correct.length - c;
      const perm = permutationTestProportions(misTags, corTags, { permutations: opts.permutations ?? 2000, seed: opts.seed });
      pairs.push({
        trueGenre,
        predictedGenre,
        misclassified: mis.length,
        misclassifiedWithTag: a,
        correct: correct.length,
        correctWithTag: c,
        difference: correct.length > 0 ? a / mis.length - c / correct.length : NaN,
        pValue: perm.pValue,
        oddsRatio: oddsRatio(a, b, c, d),
      });
      pooled.misclassified += mis.length;
      pooled.misclassifiedWithTag += a;
      pooled.correct += correct.length;
      pooled.correctWithTag += c;
      const n = a + b + c + d;
      if (n > 1) {
        const row1 = a + b, row2 = c + d, col1 = a + c, col2 = b + d;
        sumA += a;
        sumE += (row1 * col1) / n;
        sumV += (row1 * row2 * col1 * col2) / (n * n * (n - 1));
        mhNum += (a * d) / n;
        mhDen += (b * c) / n;
      }
    }
  }
  let cmh: number | null = null;
  let pValue: number | null = null;
  if (sumV > 0) {
    cmh = (Math.max(0, Math.abs(sumA - sumE) - 0.5) ** 2) / sumV;
    pValue = chiSquareSurvival(cmh, 1);
  }
  const mhOr = mhDen > 0 ? mhNum / mhDen : null;
  const anyTags = pooled.misclassifiedWithTag + pooled.correctWithTag;
  let conclusion: string;
  if (pairs.length === 0) {
    conclusion = "No misclassified tracks: nothing to test.";
  } else if (anyTags === 0) {
    conclusion = "No track carries a genres_all entry under another top genre (in FMA, tracks with a genre_top have all their genres under that one root), so the data cannot support the hypothesis at the top-genre level; see the subgenre test instead.";
  } else {
    conclusion = `${pooled.misclassifiedWithTag}/${pooled.misclassified} misclassified tracks carry a genre under the predicted genre vs ${pooled.correctWithTag}/${pooled.correct} correct ones (CMH p = ${pValue === null ? "n/a" : pValue.toPrecision(3)}, MH odds ratio ${mhOr === null ? "n/a" : mhOr.toFixed(2)}).`;
  }
  return { pairs, pooled: { ...pooled, mantelHaenszelOddsRatio: mhOr, cmhStatistic: cmh, pValue }, conclusion };
}

export interface SubgenreErrorRates {
  topGenre: string;
  /** Per subgenre of this top genre (tracks tagged with it), with the test tracks' error rate. */
  subgenres: { genreId: number; title: string; tracks: number; errors: number; errorRate: number }[];
  /** Tracks tagged only with the top genre itself. */
  topOnly: { tracks: number; errors: number };
  /** χ² of (most specific subgenre or "top only") × (correct, wrong). */
  chiSquare: ReturnType<typeof chiSquareIndependence>;
}

/** Hypothesis (2): within each top genre, do error rates depend on the subgenre? */
export function subgenreErrorRates(
  predictions: TrackPrediction[],
  recordsById: Map<number, TrackRecord>,
  tree: GenreTree,
): SubgenreErrorRates[] {
  const out: SubgenreErrorRates[] = [];
  const tops = [...new Set(predictions.map((p) => p.trueGenre))].sort();
  for (const topGenre of tops) {
    const root = tree.rootByTitle(topGenre);
    if (!root) throw new Error(`true genre "${topGenre}" is not a root genre in genres.csv`);
    const bySub = new Map<number, { tracks: number; errors: number }>();
    const primary = new Map<string, { tracks: number; errors: number }>();
    const topOnly = { tracks: 0, errors: 0 };
    for (const p of predictions.filter((x) => x.trueGenre === topGenre)) {
      const r = recordsById.get(p.trackId);
      if (!r) throw new Error(`prediction for track ${p.trackId}, which is not in tracks.csv`);
      const wrong = p.predictedGenre !== p.trueGenre ? 1 : 0;
      const subs = r.genresAll.filter((g) => g !== root.id && tree.topLevelOf(g) === root.id);
      for (const g of subs) {
        const s = bySub.get(g) ?? { tracks: 0, errors: 0 };
        s.tracks++;
        s.errors += wrong;
        bySub.set(g, s);
      }
      // The contingency table needs one category per track: its deepest subgenre (ties by id).
      let key = "top-only";
      if (subs.length > 0) {
        const deepest = [...subs].sort((a, b) => tree.ancestors(b).length - tree.ancestors(a).length || a - b)[0];
        key = String(deepest);
      } else {
        topOnly.tracks++;
        topOnly.errors += wrong;
      }
      const c = primary.get(key) ?? { tracks: 0, errors: 0 };
      c.tracks++;
      c.errors += wrong;
      primary.set(key, c);
    }
    const table = [...primary.values()].map((c) => [c.tracks - c.errors, c.errors]);
    out.push({
      topGenre,
      subgenres: [...bySub.entries()]
        .map(([g, s]) => ({ genreId: g, title: tree.title(g), tracks: s.tracks, errors: s.errors, errorRate: s.errors / s.tracks }))
        .sort((a, b) => b.tracks - a.tracks || a.genreId - b.genreId),
      topOnly,
      chiSquare: chiSquareIndependence(table),
    });
  }
  return out;
}
