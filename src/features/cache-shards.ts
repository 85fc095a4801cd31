// Shards of a cache build: `fmalab spectrograms --shard I/N` computes the I-th of N deterministic
// partitions of the tracks, so N processes (Slurm array tasks, on different machines) can fill one cache
// on a shared filesystem at once, without file locks (NFS locks are not to be trusted).
//
// Why this is safe without locks:
//   - clip files are per track, written temp + rename (atomic on NFS too), and deterministic: two
//     writers of the same track (a resubmitted task while a lost one still runs) write equal bytes;
//   - no two processes ever append to the same file: each writer appends to its own manifest,
//     manifest-shard-IIII-of-NNNN.<host>.<pid>.jsonl, and readers merge manifest.jsonl (single-process
//     builds) with every manifest-*.jsonl (readCacheManifest, docs/cache-format.md; a torn last line of
//     any of them is ignored);
//   - the shard's lock and its temp-file cleanup touch only that shard's own files.
// The merged cache holds the same clip files, byte for byte, and the same entries as a single-process
// build of the same tracks (tests/unit/slurm.test.ts checks it on a real Slurm).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clipFilePaths } from "./cache-format";
import { UsageError } from "../util/errors";

export interface CacheShard {
  /** 0 … count − 1. */
  index: number;
  count: number;
}

/** "I/N" → {index: I, count: N}, with 0 ≤ I < N. */
export function parseShard(text: string): CacheShard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw new UsageError(`--shard must be I/N with 0 ≤ I < N (e.g. 0/4), got "${text}"`);
  return { index, count };
}

/**
 * The shard's share of the work: items in ascending track id, every count-th one from position index.
 * Round-robin rather than blocks, so every shard gets a similar mix of genres and folders.
 */
export function shardItems<T extends { trackId: number }>(items: readonly T[], shard: CacheShard): T[] {
  const sorted = [...items].sort((a, b) => a.trackId - b.trackId);
  return sorted.filter((_, i) => i % shard.count === shard.index);
}

function pad4(n: number): string {
  return String(n).padStart(4, "0");
}

/** This process's own manifest file for a shard (no other process appends to it; read by readCacheManifest). */
export function shardManifestFile(dir: string, shard: CacheShard): string {
  const host = os.hostname().replace(/[^A-Za-z0-9_.-]+/g, "_");
  return path.join(dir, `manifest-shard-${pad4(shard.index)}-of-${pad4(shard.count)}.${host}.${process.pid}.jsonl`);
}

/** The lock file of one shard (the whole-cache lock is `lock`). */
export function shardLockFile(dir: string, shard: CacheShard): string {
  return path.join(dir, `lock-shard-${pad4(shard.index)}-of-${pad4(shard.count)}`);
}

/** The problems list of one shard's run (a single-process run writes problems.tsv). */
export function shardProblemsFile(shard: CacheShard): string {
  return `problems-shard-${pad4(shard.index)}-of-${pad4(shard.count)}.tsv`;
}

/** Remove temp files (`.NNNNNN.i16.PID.RAND.tmp`) of these tracks only: other shards' are in flight. */
export function removeStaleTempFilesOfTracks(dir: string, trackIds: readonly number[]): number {
  const byFolder = new Map<string, Set<string>>();
  for (const id of trackIds) {
    const { spectrogram } = clipFilePaths(id);
    const folder = path.join(dir, path.dirname(spectrogram));
    if (!byFolder.has(folder)) byFolder.set(folder, new Set());
    byFolder.get(folder)!.add(String(id).padStart(6, "0"));
  }
  let removed = 0;
  for (const [folder, ids] of byFolder) {
    if (!fs.existsSync(folder)) continue;
    for (const name of fs.readdirSync(folder)) {
      if (name.startsWith(".") && name.endsWith(".tmp") && ids.has(name.slice(1, 7))) {
        fs.rmSync(path.join(folder, name), { force: true });
        removed++;
      }
    }
  }
  return removed;
}
