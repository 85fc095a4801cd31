// Seed derivation: every track's generators come from (seed, track id, purpose), never from a shared
// sequence, so a clip is the same whichever worker renders it and in whatever order.

/** Stream numbers of derivedSeed, so each purpose draws from its own sequence. */
export const SEED_STREAM = { metadata: 1, texture: 2, render: 3 } as const;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit seed from (seed, track id, stream). */
export function derivedSeed(seed: number, trackId: number, stream: number): number {
  return mix32(mix32(mix32((seed >>> 0) ^ 0x5bd1e995) ^ (trackId >>> 0)) ^ Math.imul(stream + 1, 0x9e3779b9));
}
