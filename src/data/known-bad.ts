// The known-bad fma_small clips (schema.ts KNOWN_BAD_CLIPS) and what to do with them: exclude them or
// keep them flagged. Either way each one is listed in the result and the report, never dropped silently.
import { KNOWN_BAD_CLIPS } from "./schema";
import type { TrackRecord } from "./tracks";

export type KnownBadClip = (typeof KNOWN_BAD_CLIPS)[number];
export type KnownBadPolicy = "exclude" | "flag";

export interface KnownBadResult {
  policy: KnownBadPolicy;
  /** Records to use: all of them with "flag", the good ones with "exclude" (input order kept). */
  kept: TrackRecord[];
  /** Known-bad clips removed (policy "exclude"). */
  excluded: KnownBadClip[];
  /** Known-bad clips kept but marked (policy "flag"). */
  flagged: KnownBadClip[];
}

/** The known-bad entries among `trackIds`, in the order of KNOWN_BAD_CLIPS. */
export function knownBadFor(trackIds: Iterable<number>): KnownBadClip[] {
  const ids = new Set(trackIds);
  return KNOWN_BAD_CLIPS.filter((c) => ids.has(c.trackId));
}

/** True when `trackId` is a known-bad clip. */
export function isKnownBad(trackId: number): boolean {
  return KNOWN_BAD_CLIPS.some((c) => c.trackId === trackId);
}

/** Apply the known-bad policy to `records` (see KnownBadResult). */
export function applyKnownBadPolicy(records: readonly TrackRecord[], policy: KnownBadPolicy): KnownBadResult {
  if (policy !== "exclude" && policy !== "flag") {
    throw new Error(`unknown known-bad policy "${policy as string}"; expected "exclude" or "flag"`);
  }
  const bad = knownBadFor(records.map((r) => r.trackId));
  const badIds = new Set(bad.map((c) => c.trackId));
  if (policy === "exclude") {
    return { policy, kept: records.filter((r) => !badIds.has(r.trackId)), excluded: bad, flagged: [] };
  }
  return { policy, kept: [...records], excluded: [], flagged: bad };
}

/** One paragraph saying which known-bad clips were excluded or flagged, and why. */
export function formatKnownBadReport(result: KnownBadResult): string {
  const list = result.policy === "exclude" ? result.excluded : result.flagged;
  if (list.length === 0) {
    return `Known-bad clips: none of the ${KNOWN_BAD_CLIPS.length} listed known-bad fma_small clips is in this selection (${result.kept.length} tracks kept).`;
  }
  const items = list.map((c) => `${String(c.trackId).padStart(6, "0")} (${c.problem}: ${c.note})`).join("; ");
  const verb =
    result.policy === "exclude"
      ? `${list.length} excluded, ${result.kept.length} tracks kept`
      : `${list.length} kept but flagged (expect decode failures or short clips), ${result.kept.length} tracks kept`;
  return `Known-bad clips (policy "${result.policy}"): ${verb}: ${items}.`;
}
