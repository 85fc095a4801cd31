// Which tracks the study uses, and what each split holds: decided once, visibly, before any work.
//
// The official FMA splits are used when they support the study: every genre has a track in training,
// validation and test. When they do not (a partial download, a custom subset, the 8-clip sample), the
// study's split policy decides: "stop" (nothing runs), "smoke" (every track in all three splits: a
// labelled smoke run of the code path whose numbers are never called test scores), or "resplit" (an
// explicit, seeded, stratified re-split of the study's tracks, recorded in every run it trains).
import { isKnownBad } from "../data/known-bad";
import { SPLITS, type Split } from "../data/schema";
import type { FmaDataset } from "../data/dataset";
import { Rng } from "../util/random";
import type { StudyConfig } from "./config";

export type SplitMode = "official" | "smoke" | "resplit";

export interface StudyTrack {
  trackId: number;
  genre: string;
  split: Split;
}

export interface SplitPlan {
  /** What the splits hold: the official ones, a smoke run's (every track everywhere), or a re-split. */
  mode: SplitMode;
  /** Why the official splits cannot support the study (empty when they can). */
  problems: string[];
  /** The study's tracks with the split each is used in (smoke: every track once per split). */
  tracks: StudyTrack[];
  /** Whether the test tracks are disjoint from the training tracks (a test score can be reported). */
  heldOut: boolean;
  /** Nothing may run: the policy is "stop" and the official splits cannot support the study. */
  stop: boolean;
  /** One line for logs, the report and figure titles. */
  summary: string;
}

/** Tracks with a split and a genre, whose clip is on disk and not known-bad, sorted by id. */
function usableTracks(ds: FmaDataset): StudyTrack[] {
  const present = new Set(ds.checkAudio().present);
  const out: StudyTrack[] = [];
  for (const r of ds.tracks.records) {
    if (r.split === null || r.genreTop === null || !present.has(r.trackId) || isKnownBad(r.trackId)) continue;
    out.push({ trackId: r.trackId, genre: r.genreTop, split: r.split as Split });
  }
  return out.sort((a, b) => a.trackId - b.trackId);
}

/** Per split and genre, the first `tracksPerGenre[split]` tracks by id (all of them with null sizes). */
function capPerGenre(cfg: StudyConfig, tracks: readonly StudyTrack[]): StudyTrack[] {
  const taken = new Map<string, number>();
  const out: StudyTrack[] = [];
  for (const t of tracks) {
    const key = `${t.split}\u0000${t.genre}`;
    const n = taken.get(key) ?? 0;
    if (cfg.sizes.tracksPerGenre && n >= cfg.sizes.tracksPerGenre[t.split]) continue;
    taken.set(key, n + 1);
    out.push(t);
  }
  return out;
}

/** Why `tracks` cannot support a study: each genre missing from a split (empty: they can). */
export function splitProblems(tracks: ReadonlyArray<{ split: Split; genre: string }>): string[] {
  const genres = [...new Set(tracks.map((t) => t.genre))].sort();
  const problems: string[] = [];
  if (tracks.length === 0) return ["no track with a split, a genre and its clip on disk"];
  for (const s of SPLITS) {
    const here = new Set(tracks.filter((t) => t.split === s).map((t) => t.genre));
    const missing = genres.filter((g) => !here.has(g));
    if (missing.length > 0) problems.push(`the ${s} split has no track of ${missing.join(", ")}`);
  }
  return problems;
}

/** Whether every genre of `tracks` has a track in each split. */
export function coversEverySplit(tracks: ReadonlyArray<{ split: Split; genre: string }>): boolean {
  return splitProblems(tracks).length === 0;
}

/** Whether no track is used both for training and for testing. */
export function testDisjointFromTraining(tracks: ReadonlyArray<{ trackId: number; split: Split }>): boolean {
  const training = new Set(tracks.filter((t) => t.split === "training").map((t) => t.trackId));
  return !tracks.some((t) => t.split === "test" && training.has(t.trackId));
}

/**
 * A seeded stratified re-split: per genre, the tracks shuffled and dealt 80/10/10 with at least one per
 * split. Genres with fewer than 3 tracks cannot be split and are left out (named in `dropped`).
 */
export function stratifiedResplit(tracks: readonly StudyTrack[], seed: number): { tracks: StudyTrack[]; dropped: string[] } {
  const byGenre = new Map<string, number[]>();
  for (const t of tracks) byGenre.set(t.genre, [...(byGenre.get(t.genre) ?? []), t.trackId]);
  const out: StudyTrack[] = [];
  const dropped: string[] = [];
  const rng = new Rng(seed);
  for (const genre of [...byGenre.keys()].sort()) {
    const ids = [...new Set(byGenre.get(genre)!)].sort((a, b) => a - b);
    if (ids.length < 3) {
      dropped.push(`${genre} (${ids.length} track${ids.length === 1 ? "" : "s"})`);
      continue;
    }
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const nTest = Math.max(1, Math.round(ids.length * 0.1));
    const nVal = Math.max(1, Math.round(ids.length * 0.1));
    ids.forEach((id, i) => out.push({ trackId: id, genre, split: i < nTest ? "test" : i < nTest + nVal ? "validation" : "training" }));
  }
  return { tracks: out.sort((a, b) => a.trackId - b.trackId), dropped };
}

/** The study's split plan (see the top of this file). Deterministic. */
export function planStudySplits(cfg: StudyConfig, ds: FmaDataset): SplitPlan {
  const usable = usableTracks(ds);
  const official = capPerGenre(cfg, usable);
  const problems = splitProblems(official);
  if (problems.length === 0) {
    return { mode: "official", problems, tracks: official, heldOut: testDisjointFromTraining(official), stop: false, summary: "official FMA splits" };
  }
  const why = problems.join("; ");
  if (cfg.splitPolicy === "resplit") {
    const re = stratifiedResplit(usable, cfg.seed);
    const tracks = capPerGenre(cfg, re.tracks);
    const dropped = re.dropped.length ? `; left out (too few tracks to split): ${re.dropped.join(", ")}` : "";
    return {
      mode: "resplit",
      problems,
      tracks,
      heldOut: tracks.length > 0 && testDisjointFromTraining(tracks),
      stop: tracks.length === 0,
      summary: `stratified re-split (seed ${cfg.seed}, 80/10/10 per genre), not the official splits: ${why}${dropped}`,
    };
  }
  if (cfg.splitPolicy === "stop") {
    return { mode: "official", problems, tracks: official, heldOut: false, stop: true, summary: `the official splits cannot support the study: ${why}` };
  }
  const tracks = official.flatMap((t) => SPLITS.map((split) => ({ ...t, split })));
  return {
    mode: "smoke",
    problems,
    tracks,
    heldOut: false,
    stop: false,
    summary: `SMOKE RUN (trained and scored on the same tracks; no test score): ${why}`,
  };
}

/** How to continue when a plan stops or is a smoke run (for the messages that announce it). */
export const SPLIT_POLICY_HINT =
  "set FMALAB_SPLITS=resplit (fmalab main --resplit) for a stratified re-split, FMALAB_SPLITS=stop (--splits stop) to stop instead, or use a complete download";

/** The study's track ids (each once), sorted. */
export function studyTrackIds(cfg: StudyConfig, ds: FmaDataset): number[] {
  return [...new Set(planStudySplits(cfg, ds).tracks.map((t) => t.trackId))].sort((a, b) => a - b);
}

/** Count of the study's tracks per split, as the plan uses them (for a sentence in the notebook or the log). */
export function countBySplit(tracks: ReadonlyArray<{ split: Split }>): Record<Split, number> {
  const out = { training: 0, validation: 0, test: 0 } as Record<Split, number>;
  for (const t of tracks) out[t.split]++;
  return out;
}
