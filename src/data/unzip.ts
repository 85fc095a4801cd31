// Safe, resumable ZIP extraction with yauzl (zip64-capable: fma_large.zip is 93 GiB).
//
// Two passes over the central directory: the first only checks every entry (no path may leave the
// target folder: no `..`, no absolute path or drive letter, no symlink or device entry, nothing
// encrypted), so a bad archive writes NOTHING; the second extracts. Each file goes to a temp name
// beside its destination, its CRC-32 is checked, then it is renamed. A file already present with the
// entry's size is skipped, so an interrupted unpack resumes where it stopped (files are not fsync'ed
// one by one, which would be slow for 100k files: a file truncated by a crash has the wrong size and
// is extracted again).
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as yauzl from "yauzl";
import type { Entry, ZipFile } from "yauzl";
import { ProgressBar } from "../util/progress";
import { tempPathFor, removeStaleTempFiles } from "../util/fs";
import { DiskFullError, DISK_FULL_CODES } from "./download";

export interface UnzipProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

export interface UnzipOptions {
  /** Called after each file (extracted or skipped). */
  onProgress?: (progress: UnzipProgress) => void;
  /** No progress bar (default false). */
  quiet?: boolean;
  /** Label of the progress bar (default: "unzip <zip name>"). */
  label?: string;
}

export interface UnzipResult {
  /** File entries in the archive, all now present in the target folder. */
  files: number;
  /** Their total uncompressed size. */
  bytes: number;
  /** Files written by this call. */
  extracted: number;
  /** Files skipped because they were already there with the right size. */
  skipped: number;
  /** Directory entries. */
  dirs: number;
}

/** A problem with a ZIP archive, naming the archive and, when known, the entry. */
export class ZipError extends Error {
  readonly zipPath: string;
  readonly entry?: string;
  constructor(zipPath: string, problem: string, entry?: string) {
    super(`${zipPath}${entry !== undefined ? `: entry "${entry}"` : ""}: ${problem}`);
    this.name = "ZipError";
    this.zipPath = zipPath;
    this.entry = entry;
  }
}

/** An entry that would write outside the target folder (or a link/device): the archive is refused whole. */
export class UnsafeZipEntryError extends ZipError {
  constructor(zipPath: string, entry: string, problem: string) {
    super(zipPath, `${problem}; refusing the whole archive, nothing was extracted`, entry);
    this.name = "UnsafeZipEntryError";
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Why an entry is unsafe to extract under `root`, or null when it is fine. */
export function unsafeZipEntryReason(
  entry: Pick<Entry, "fileName" | "externalFileAttributes" | "compressionMethod"> & { isEncrypted(): boolean },
  root: string,
): string | null {
  const name = entry.fileName;
  if (name.length === 0) return "empty file name";
  if (name.includes("\0")) return "NUL character in file name";
  if (name.startsWith("/") || name.startsWith("\\") || /^[a-zA-Z]:/.test(name)) return "absolute path";
  if (name.split(/[\\/]/).includes("..")) return "path escapes the target folder (..)";
  const resolved = path.resolve(root, name);
  const rel = path.relative(root, resolved);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return "path escapes the target folder";
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK) return "symbolic link entry";
  if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) return `special file entry (mode ${mode.toString(8)})`;
  if (entry.isEncrypted()) return "encrypted entry (not supported)";
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return `compression method ${entry.compressionMethod} not supported (only stored and deflate)`;
  }
  return null;
}

/**
 * Reads the archive with 1 MiB positioned reads: yauzl's default file reader pulls 16 KiB at a time,
 * which made unpacking CPU-bound on syscalls.
 */
class FileRangeReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly file: string,
    private readonly fd: number,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): NodeJS.ReadableStream {
    // A stream of its own (by path, not sharing this.fd): yauzl destroys entry streams when done,
    // and destroying an fs stream closes its descriptor even with autoClose: false.
    // fs streams take an inclusive end; yauzl's is exclusive (start === end never reaches here).
    return fs.createReadStream(this.file, { start, end: end - 1, highWaterMark: 1 << 20 });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    const readFrom = (done: number): void => {
      if (done >= length) return callback(null);
      fs.read(this.fd, buffer, offset + done, length - done, position + done, (err, bytesRead) => {
        if (err) return callback(err);
        if (bytesRead === 0) return callback(new Error(`unexpected end of file at byte ${position + done}`));
        readFrom(done + bytesRead);
      });
    };
    readFrom(0);
  }

  override close(callback: (err: Error | null) => void): void {
    fs.close(this.fd, (err) => callback(err ?? null));
  }
}

async function openZip(zipPath: string): Promise<ZipFile> {
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(zipPath, "r");
    size = fs.fstatSync(fd).size;
  } catch (err) {
    throw new ZipError(zipPath, `cannot open: ${(err as Error).message}`);
  }
  const reader = new FileRangeReader(zipPath, fd);
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(
      reader,
      size,
      { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => {
        if (err || !zip) {
          fs.close(fd, () => reject(new ZipError(zipPath, `not a readable ZIP archive: ${err?.message ?? "unknown error"}`)));
          return;
        }
        resolve(zip);
      },
    );
  });
}

/** yauzl's own name checks (decodeStrings) report unsafe names as zipfile errors with these prefixes. */
const YAUZL_UNSAFE = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/;

/** Visit entries one at a time (lazyEntries), awaiting `visit` before reading the next. */
function forEachEntry(zipPath: string, zip: ZipFile, visit: (entry: Entry) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    zip.on("error", (err: Error) => {
      const m = YAUZL_UNSAFE.exec(err.message);
      fail(m ? new UnsafeZipEntryError(zipPath, m[2], m[1] === "invalid relative path" ? "path escapes the target folder (..)" : m[1]) : new ZipError(zipPath, err.message));
    });
    zip.on("end", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    zip.on("entry", (entry: Entry) => {
      visit(entry).then(
        () => {
          if (!settled) zip.readEntry();
        },
        (err: Error) => fail(err),
      );
    });
    zip.readEntry();
  });
}

function openEntryStream(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error("no stream")) : resolve(stream)));
  });
}

const isDirectoryEntry = (entry: Entry): boolean => entry.fileName.endsWith("/") || entry.fileName.endsWith("\\");

/**
 * Extract `zipPath` into `targetDir` after checking every entry. Refuses the whole archive (writing
 * nothing) when any entry is unsafe; skips files already present with the right size.
 */
export async function safeUnzip(zipPath: string, targetDir: string, options: UnzipOptions = {}): Promise<UnzipResult> {
  const root = path.resolve(targetDir);

  // Pass 1: check every entry; count what is to be done.
  let totalFiles = 0;
  let totalBytes = 0;
  let dirs = 0;
  const scan = await openZip(zipPath);
  try {
    await forEachEntry(zipPath, scan, async (entry) => {
      const problem = unsafeZipEntryReason(entry, root);
      if (problem) throw new UnsafeZipEntryError(zipPath, entry.fileName, problem);
      if (isDirectoryEntry(entry)) dirs++;
      else {
        totalFiles++;
        totalBytes += entry.uncompressedSize;
      }
    });
  } finally {
    scan.close();
  }

  // Pass 2: extract.
  const bar = options.quiet
    ? null
    : new ProgressBar({ total: totalBytes, label: options.label ?? `unzip ${path.basename(zipPath)}`, unit: "B" });
  const progress: UnzipProgress = { files: 0, bytes: 0, totalFiles, totalBytes };
  const advance = (): void => {
    options.onProgress?.({ ...progress });
    bar?.update(progress.bytes, { files: `${progress.files}/${totalFiles}` });
  };
  const cleanedDirs = new Set<string>();
  const prepareDir = (dir: string): void => {
    if (cleanedDirs.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    removeStaleTempFiles(dir); // temp files of an earlier, interrupted unpack
    cleanedDirs.add(dir);
  };
  let extracted = 0;
  let skipped = 0;
  fs.mkdirSync(root, { recursive: true });
  const zip = await openZip(zipPath);
  try {
    await forEachEntry(zipPath, zip, async (entry) => {
      // Re-checked: the second pass reads the central directory again.
      const problem = unsafeZipEntryReason(entry, root);
      if (problem) throw new UnsafeZipEntryError(zipPath, entry.fileName, problem);
      const dest = path.resolve(root, entry.fileName);
      if (isDirectoryEntry(entry)) {
        prepareDir(dest);
        return;
      }
      const existing = fs.statSync(dest, { throwIfNoEntry: false });
      if (existing && existing.isFile() && existing.size === entry.uncompressedSize) {
        skipped++;
      } else {
        prepareDir(path.dirname(dest));
        let entryBytes = 0;
        await extractEntry(zipPath, zip, entry, dest, (n) => {
          entryBytes += n;
          bar?.update(progress.bytes + entryBytes);
        });
        extracted++;
      }
      progress.files++;
      progress.bytes += entry.uncompressedSize;
      advance();
    });
  } finally {
    zip.close();
  }
  bar?.finish();
  return { files: totalFiles, bytes: totalBytes, extracted, skipped, dirs };
}

/** Write one entry to a temp file beside `dest`, check its CRC-32, rename it to `dest`. */
async function extractEntry(zipPath: string, zip: ZipFile, entry: Entry, dest: string, onBytes: (n: number) => void): Promise<void> {
  const tmp = tempPathFor(dest);
  let crc = 0;
  let size = 0;
  const crcTap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  const out = fs.createWriteStream(tmp, { flags: "wx", highWaterMark: 1 << 20 });
  let writeError: NodeJS.ErrnoException | null = null;
  out.on("error", (err) => (writeError = err));
  try {
    const input = await openEntryStream(zip, entry);
    await pipeline(input, crcTap, out);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const fsErr = writeError as NodeJS.ErrnoException | null;
    if (fsErr && fsErr.code && DISK_FULL_CODES.has(fsErr.code)) {
      throw new DiskFullError(dest, fsErr.code, size, "Free some space and rerun: files already unpacked are skipped.");
    }
    if (fsErr) throw fsErr;
    throw new ZipError(zipPath, `cannot extract: ${(err as Error).message}`, entry.fileName);
  }
  const expectedCrc = entry.crc32 >>> 0;
  if (size !== entry.uncompressedSize || crc >>> 0 !== expectedCrc) {
    fs.rmSync(tmp, { force: true });
    const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
    throw new ZipError(
      zipPath,
      size !== entry.uncompressedSize
        ? `size mismatch: expected ${entry.uncompressedSize} bytes, got ${size}`
        : `CRC-32 mismatch: expected ${hex(expectedCrc)}, got ${hex(crc)} (the archive is damaged)`,
      entry.fileName,
    );
  }
  fs.renameSync(tmp, dest);
}
