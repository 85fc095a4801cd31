// Size + CRC32 of the files of a folder written in one piece (a model folder, a checkpoint), stored
// beside them and checked when the folder is read back: a truncated, damaged or deleted file is a
// clear error naming it, never wrong numbers. CRC32 (node:zlib): the threat is accidents, not an
// adversary (see src/features/cache-verify.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { InputError } from "./errors";

/** CRC32 of `bytes` as 8 lower-case hex digits. */
export function checksumOf(bytes: Uint8Array): string {
  return (crc32(bytes) >>> 0).toString(16).padStart(8, "0");
}

export interface FileCheck {
  bytes: number;
  crc32: string;
}

/** The checksum record of a folder: every regular file in it except the record itself. */
export interface FolderChecksums {
  format: "fmalab-checksums";
  version: 1;
  files: Record<string, FileCheck>;
}

/** The default name of the record (model folders); checkpoints keep it in their COMPLETE marker. */
export const CHECKSUMS_FILE = "CHECKSUMS.json";

/** Size and CRC32 of each regular file in `dir` (not recursive), except those named in `skip`. */
export function folderChecksums(dir: string, skip: readonly string[] = [CHECKSUMS_FILE]): FolderChecksums {
  const files: Record<string, FileCheck> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile() || skip.includes(e.name)) continue;
    const bytes = fs.readFileSync(path.join(dir, e.name));
    files[e.name] = { bytes: bytes.byteLength, crc32: checksumOf(bytes) };
  }
  return { format: "fmalab-checksums", version: 1, files };
}

/** Parse a checksum record; null when `text` is not one (an older folder without checksums). */
export function parseFolderChecksums(text: string): FolderChecksums | null {
  try {
    const v = JSON.parse(text) as Partial<FolderChecksums>;
    return v && v.format === "fmalab-checksums" && v.files && typeof v.files === "object" ? (v as FolderChecksums) : null;
  } catch {
    return null;
  }
}

/** Problems of `dir`'s files against `record`: [{file, problem}], [] when all verify. */
export function folderProblems(dir: string, record: FolderChecksums): Array<{ file: string; problem: string }> {
  const out: Array<{ file: string; problem: string }> = [];
  for (const [name, want] of Object.entries(record.files)) {
    const file = path.join(dir, name);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st || !st.isFile()) {
      out.push({ file, problem: st ? "is not a regular file" : "missing" });
      continue;
    }
    if (st.size !== want.bytes) {
      out.push({ file, problem: `${st.size} bytes, expected ${want.bytes}${st.size < want.bytes ? " (truncated)" : ""}` });
      continue;
    }
    const crc = checksumOf(fs.readFileSync(file));
    if (crc !== want.crc32) out.push({ file, problem: `CRC32 ${crc}, recorded ${want.crc32} (damaged)` });
  }
  return out;
}

/** Write CHECKSUMS.json into `dir` for the files now there (call it last, before the folder is swapped in). */
export function writeFolderChecksums(dir: string): void {
  const fd = fs.openSync(path.join(dir, CHECKSUMS_FILE), "w");
  try {
    fs.writeSync(fd, JSON.stringify(folderChecksums(dir), null, 2) + "\n");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Check `dir` against its CHECKSUMS.json (a folder written before checksums existed passes). An
 * InputError names the first bad file, how many more there are, and `advice` (what to do).
 */
export function assertFolderVerifies(dir: string, advice = ""): void {
  const recordFile = path.join(dir, CHECKSUMS_FILE);
  if (!fs.existsSync(recordFile)) return;
  const record = parseFolderChecksums(fs.readFileSync(recordFile, "utf8"));
  if (!record) throw new InputError(recordFile, `not a checksum record (damaged)${advice ? `; ${advice}` : ""}`);
  throwFirstProblem(folderProblems(dir, record), advice);
}

/** Throw an InputError for the first of `problems` (naming how many more), or nothing when empty. */
export function throwFirstProblem(problems: Array<{ file: string; problem: string }>, advice: string): void {
  if (problems.length === 0) return;
  const more = problems.length > 1 ? `; ${problems.length - 1} more damaged file(s) in ${path.dirname(problems[0].file)}` : "";
  throw new InputError(problems[0].file, `${problems[0].problem}${more}${advice ? `; ${advice}` : ""}`);
}
