// Verifying what the spectrogram cache reads back. Every finished manifest entry records the size and
// CRC32 of each file it names; readers check them, a resumed build recomputes the entries that fail,
// and `fmalab spectrograms --verify` checks a whole cache without computing. Failed entries record
// the source file's size and mtime, so a rerun retries those whose cause may have gone.
//
// CRC32 (node:zlib, ~6 GB/s here): the threat is accidents (a copy cut short, a disk or network
// filesystem flipping bytes), not an adversary; CRC32 catches every burst of ≤ 32 bits and any other
// change with probability 1 − 2⁻³², and needs no dependency.
import * as fs from "node:fs";
import * as path from "node:path";
import { checksumOf } from "../util/checksums";
import { InputError } from "../util/errors";
import { shellCommand } from "../util/shell";
import type { CacheJob, CacheParams, ManifestEntry } from "./cache-format";

export { checksumOf };

/** Size and mtime of a clip's source file, or null when it does not exist (recorded on every entry). */
export function sourceStat(file: string): { bytes: number; mtimeMs: number } | null {
  const st = file ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
  return st ? { bytes: st.size, mtimeMs: Math.round(st.mtimeMs) } : null;
}

/** Why a failed entry should be retried (its source appeared, vanished or changed), or null. */
export function sourceChange(entry: ManifestEntry, job: CacheJob): string | null {
  const now = sourceStat(job.path);
  if (entry.source === undefined) {
    // Entries written before sources were recorded: only "missing" can be re-checked.
    return entry.reason === "missing" && now ? "the file is now present" : null;
  }
  const was = entry.source;
  if (!was && now) return "the file is now present";
  if (was && !now) return "the file is now missing";
  if (was && now && (was.bytes !== now.bytes || was.mtimeMs !== now.mtimeMs)) {
    return `the file changed (${was.bytes} → ${now.bytes} bytes, mtime ${new Date(was.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()})`;
  }
  return null;
}

/** Bytes of a spectrogram file and of a features file for these parameters. */
export function expectedSizes(params: CacheParams): { spectrogram: number; features: number | null } {
  return {
    spectrogram: 2 * params.mel.nMels * params.nFrames,
    features: params.features ? 4 * params.features.names.length : null,
  };
}

/** One file of an entry that does not verify. */
export interface EntryProblem {
  trackId: number;
  /** Absolute path of the file. */
  file: string;
  kind: "missing" | "size" | "checksum" | "not-a-file";
  problem: string;
}

/** Check one file against the recorded size/CRC; returns the problem, or null (and the CRC it has). */
export function checkFile(
  trackId: number,
  file: string,
  want: { bytes: number; crc32?: string },
  checksum: boolean,
): { problem: EntryProblem | null; crc32?: string } {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return { problem: { trackId, file, kind: "missing", problem: "missing" } };
  if (!st.isFile()) return { problem: { trackId, file, kind: "not-a-file", problem: "not a regular file" } };
  if (st.size !== want.bytes) {
    return { problem: { trackId, file, kind: "size", problem: `${st.size} bytes, expected ${want.bytes}${st.size < want.bytes ? " (truncated)" : ""}` } };
  }
  if (!checksum) return { problem: null };
  return checkBytes(trackId, file, fs.readFileSync(file), want);
}

/** Check bytes already read from `file` against the recorded size/CRC. */
export function checkBytes(trackId: number, file: string, bytes: Uint8Array, want: { bytes: number; crc32?: string }): { problem: EntryProblem | null; crc32: string } {
  const crc = checksumOf(bytes);
  if (bytes.byteLength !== want.bytes) {
    return { problem: { trackId, file, kind: "size", problem: `${bytes.byteLength} bytes, expected ${want.bytes}` }, crc32: crc };
  }
  if (want.crc32 !== undefined && want.crc32 !== crc) {
    return { problem: { trackId, file, kind: "checksum", problem: `CRC32 ${crc}, the manifest records ${want.crc32} (damaged)` }, crc32: crc };
  }
  return { problem: null, crc32: crc };
}

/** What an entry promises about its files: [relative file, size, CRC (absent in old entries)]. */
export function entryFiles(entry: ManifestEntry, params: CacheParams): Array<{ file: string; bytes: number; crc32?: string }> {
  const sizes = expectedSizes(params);
  const out: Array<{ file: string; bytes: number; crc32?: string }> = [];
  if (entry.file) out.push({ file: entry.file, bytes: entry.bytes ?? sizes.spectrogram, crc32: entry.crc32 });
  if (entry.features && sizes.features !== null) out.push({ file: entry.features, bytes: entry.featuresBytes ?? sizes.features, crc32: entry.featuresCrc32 });
  return out;
}

/**
 * Verify a finished entry's files. With `checksum`, each is read and its CRC compared; an entry from
 * before checksums were recorded passes on its size, and `upgraded` carries the CRCs it has now.
 */
export function verifyEntry(
  dir: string,
  entry: ManifestEntry,
  params: CacheParams,
  checksum: boolean,
): { problems: EntryProblem[]; upgraded: ManifestEntry | null } {
  const problems: EntryProblem[] = [];
  if (!entry.file) problems.push({ trackId: entry.trackId, file: dir, kind: "missing", problem: "the entry names no spectrogram file" });
  if (params.features && !entry.features) problems.push({ trackId: entry.trackId, file: dir, kind: "missing", problem: "the entry names no features file" });
  let upgraded: ManifestEntry | null = null;
  for (const f of entryFiles(entry, params)) {
    const r = checkFile(entry.trackId, path.join(dir, f.file), f, checksum);
    if (r.problem) problems.push(r.problem);
    else if (checksum && f.crc32 === undefined && r.crc32) {
      upgraded = upgraded ?? { ...entry };
      if (f.file === entry.file) (upgraded.bytes = f.bytes), (upgraded.crc32 = r.crc32);
      else (upgraded.featuresBytes = f.bytes), (upgraded.featuresCrc32 = r.crc32);
    }
  }
  return { problems, upgraded: problems.length === 0 ? upgraded : null };
}

/** The `fmalab spectrograms` command that rebuilds (repairs) the cache at `cacheDir`, shell-quoted. */
export function repairCommand(params: CacheParams, cacheDir: string, extra: string[] = []): string {
  const words: string[] = ["fmalab", "spectrograms", "--data", params.dataRoot];
  if (params.subset) words.push("--subset", params.subset);
  words.push("--cache", path.dirname(path.resolve(cacheDir)));
  if (params.clipSeconds !== 30) words.push("--clip-seconds", String(params.clipSeconds));
  if (params.shortToleranceS !== 1) words.push("--short-tolerance", String(params.shortToleranceS));
  if (params.mel.nMels !== 128) words.push("--n-mels", String(params.mel.nMels));
  if (!params.features) words.push("--no-features");
  if (params.resampleQuality === "fast") words.push("--fast-resample");
  return shellCommand([...words, ...extra]);
}

/** A cache file that does not verify: the message names it and the command that repairs it. */
export class CacheEntryError extends InputError {
  readonly trackId: number;
  readonly repair: string;
  constructor(p: EntryProblem, repair: string, others = 0) {
    super(p.file, `${p.problem} (track ${p.trackId}${others > 0 ? `; ${others} more damaged entr${others === 1 ? "y" : "ies"}` : ""}); repair with: ${repair}`);
    this.name = "CacheEntryError";
    this.trackId = p.trackId;
    this.repair = repair;
  }
}
