// The official FMA archives (mdeff/fma README): names, published SHA1s and approximate sizes, and where
// to fetch them. The base URL can be overridden (option or FMA_BASE_URL) to use a mirror or, in tests,
// a local server.
import * as fs from "node:fs";
import * as path from "node:path";
import { downloadFile } from "./download";
import { safeUnzip, type UnzipResult } from "./unzip";
import { writeJsonAtomic } from "../util/fs";
import { readJsonFileStrict } from "../util/text";
import { formatBytes } from "../util/progress";

export type FmaArchiveName = "metadata" | "small" | "medium" | "large" | "full";

export interface FmaArchive {
  /** The name used on the command line (`--subset small`). */
  name: string;
  /** File name on the server and in the download folder. */
  file: string;
  /** Top-level folder the archive unpacks into (fma_small/, fma_metadata/...). */
  folder: string;
  /** Published SHA1 of the whole archive. */
  sha1: string;
  /** Approximate size in bytes (the README gives MiB/GiB, not exact byte counts): for disk checks and display. */
  approxBytes: number;
  description: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const FMA_ARCHIVES: Readonly<Record<FmaArchiveName, FmaArchive>> = {
  metadata: {
    name: "metadata",
    file: "fma_metadata.zip",
    folder: "fma_metadata",
    sha1: "f0df49ffe5f2a6008d7dc83c6915b31835dfe733",
    approxBytes: Math.round(342 * MiB),
    description: "tracks.csv, genres.csv, features.csv, echonest.csv, raw_*.csv, checksums",
  },
  small: {
    name: "small",
    file: "fma_small.zip",
    folder: "fma_small",
    sha1: "ade154f733639d52e35e32f5593efe5be76c6d70",
    approxBytes: Math.round(7.2 * GiB),
    description: "8,000 clips of 30 s, 8 balanced genres",
  },
  medium: {
    name: "medium",
    file: "fma_medium.zip",
    folder: "fma_medium",
    sha1: "c67b69ea232021025fca9231fc1c7c1a063ab50b",
    approxBytes: Math.round(22 * GiB),
    description: "25,000 clips of 30 s, 16 unbalanced genres",
  },
  large: {
    name: "large",
    file: "fma_large.zip",
    folder: "fma_large",
    sha1: "497109f4dd721066b5ce5e5f250ec604dc78939e",
    approxBytes: Math.round(93 * GiB),
    description: "106,574 clips of 30 s, 161 genres",
  },
  full: {
    name: "full",
    file: "fma_full.zip",
    folder: "fma_full",
    sha1: "0f0ace23fbe9ba30ecb7e95f763e435ea802b8ab",
    approxBytes: Math.round(879 * GiB),
    description: "106,574 untrimmed tracks",
  },
};

export const FMA_DEFAULT_BASE_URL = "https://os.unil.cloud.switch.ch/fma/";

/** The archive for a `--subset` value, or null when the name is unknown. */
export function fmaArchive(name: string): FmaArchive | null {
  return Object.prototype.hasOwnProperty.call(FMA_ARCHIVES, name) ? FMA_ARCHIVES[name as FmaArchiveName] : null;
}

/**
 * The base URL to download from: explicit option, else `env.FMA_BASE_URL` (the CLI passes its environment;
 * library code reads none), else the official server. Always ends in "/".
 */
export function fmaBaseUrl(explicit?: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  const raw = explicit ?? env.FMA_BASE_URL ?? FMA_DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`invalid base URL "${raw}" (expected e.g. ${FMA_DEFAULT_BASE_URL})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`invalid base URL "${raw}": only http: and https: are supported`);
  }
  return url.href.endsWith("/") ? url.href : url.href + "/";
}

/** The full URL of an archive under a base URL. */
export function fmaArchiveUrl(archive: Pick<FmaArchive, "file">, baseUrl: string = fmaBaseUrl()): string {
  return new URL(archive.file, baseUrl.endsWith("/") ? baseUrl : baseUrl + "/").href;
}

/** Where an archive's zip lives in a download folder. */
export function fmaArchivePath(archive: Pick<FmaArchive, "file">, dir: string): string {
  return path.join(dir, archive.file);
}

export interface InstallFmaArchiveOptions {
  /** Download folder: the zip goes to DIR/<file>, its content unpacks into DIR (DIR/fma_small/...). */
  dir: string;
  /** Default: fmaBaseUrl() (env FMA_BASE_URL, else the official server). */
  baseUrl?: string;
  /** Unpack after verifying (default true). */
  unzip?: boolean;
  /** Keep the zip after a successful unpack (default false; always kept when not unpacking). */
  keepZip?: boolean;
  /** Refuse to start when the folder's free space is clearly too small (default true). */
  checkDiskSpace?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  retries?: number;
  retryDelayMs?: number;
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface InstallFmaArchiveResult {
  archive: FmaArchive;
  url: string;
  zipPath: string;
  /** SHA1 of the zip (= archive.sha1 once verified). */
  sha1: string;
  /** How the zip was obtained: downloaded (fresh or resumed), found already complete in DIR, or not needed (already unpacked). */
  source: "downloaded" | "resumed" | "present" | "already-unpacked";
  /** Bytes received over the network. */
  transferred: number;
  /** Unpack summary, null when not unpacked by this call. */
  unpacked: UnzipResult | null;
  /** DIR/<folder>, when the archive is unpacked (by this call or an earlier one). */
  unpackedDir: string | null;
  /** Whether the zip is still in DIR. */
  zipKept: boolean;
}

/** The JSON written beside the zip after a complete unpack, so a rerun without the zip knows it is done. */
export function fmaUnpackedMarkerPath(archive: Pick<FmaArchive, "file">, dir: string): string {
  return path.join(dir, `${archive.file}.unpacked.json`);
}

/** Not enough free space in the download folder (checked before anything is fetched). */
export class InsufficientSpaceError extends Error {
  constructor(
    readonly dir: string,
    readonly neededBytes: number,
    readonly freeBytes: number,
    what: string,
  ) {
    super(
      `not enough free space in ${dir}: ${what} needs about ${formatBytes(neededBytes)}, ` +
        `${formatBytes(freeBytes)} are free. Free some space, choose another --dir, or use --no-unzip.`,
    );
    this.name = "InsufficientSpaceError";
  }
}

function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null; // statfs unsupported here: skip the check
  }
}

/**
 * Get one FMA archive into `dir`: verify a zip already there (no network) or download it (resuming a
 * partial), check its published SHA1, then unpack it safely into `dir`.
 */
export async function installFmaArchive(archive: FmaArchive, options: InstallFmaArchiveOptions): Promise<InstallFmaArchiveResult> {
  const dir = path.resolve(options.dir);
  const unzip = options.unzip ?? true;
  const keepZip = options.keepZip ?? !unzip;
  const quiet = options.quiet ?? false;
  const log = quiet ? (): void => {} : options.log ?? ((line: string): void => void process.stderr.write(line + "\n"));
  const url = fmaArchiveUrl(archive, options.baseUrl ?? fmaBaseUrl());
  const zipPath = fmaArchivePath(archive, dir);
  const marker = fmaUnpackedMarkerPath(archive, dir);
  const unpackedDir = path.join(dir, archive.folder);
  fs.mkdirSync(dir, { recursive: true });

  // Already unpacked by an earlier run that removed the zip: nothing to do.
  const zipPresent = fs.existsSync(zipPath);
  if (unzip && !zipPresent && fs.existsSync(marker) && fs.existsSync(unpackedDir)) {
    let done: { sha1?: string } = {};
    try {
      done = readJsonFileStrict<{ sha1?: string }>(marker, "unpacked marker");
    } catch (err) {
      log(`ignoring ${marker}: ${(err as Error).message}`); // damaged: verify and unpack again
    }
    if (done.sha1 === archive.sha1) {
      log(`${archive.file} was already verified and unpacked into ${unpackedDir} (delete ${marker} to unpack again)`);
      return { archive, url, zipPath, sha1: archive.sha1, source: "already-unpacked", transferred: 0, unpacked: null, unpackedDir, zipKept: false };
    }
  }

  if (options.checkDiskSpace ?? true) {
    const partialBytes = fs.statSync(zipPath + ".partial", { throwIfNoEntry: false })?.size ?? 0;
    const downloadBytes = zipPresent ? 0 : Math.max(0, archive.approxBytes - partialBytes);
    const needed = downloadBytes + (unzip ? archive.approxBytes : 0);
    const free = freeBytes(dir);
    // approxBytes comes from sizes rounded to 2–3 digits: allow 2 % slack before refusing.
    if (free !== null && needed > 0 && free < needed * 0.98) {
      const what = [downloadBytes > 0 ? `downloading ${archive.file}` : "", unzip ? "unpacking it" : ""].filter(Boolean).join(" and ");
      throw new InsufficientSpaceError(dir, needed, free, what);
    }
  }

  if (zipPresent) log(`found ${zipPath}: verifying it against the published SHA1 ${archive.sha1}`);
  else log(`downloading ${url} (about ${formatBytes(archive.approxBytes)}) to ${zipPath}`);
  const got = await downloadFile({
    url,
    dest: zipPath,
    expectedSha1: archive.sha1,
    quiet,
    log,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    idleTimeoutMs: options.idleTimeoutMs,
    signal: options.signal,
  });
  log(`${archive.file}: SHA1 ${got.sha1} matches the published checksum`);
  const source = got.alreadyPresent ? "present" : got.resumed ? "resumed" : "downloaded";
  if (!unzip) {
    return { archive, url, zipPath, sha1: got.sha1, source, transferred: got.transferred, unpacked: null, unpackedDir: null, zipKept: true };
  }

  log(`unpacking ${zipPath} into ${dir}`);
  const unpacked = await safeUnzip(zipPath, dir, { quiet });
  writeJsonAtomic(marker, {
    archive: archive.file,
    sha1: got.sha1,
    files: unpacked.files,
    bytes: unpacked.bytes,
    unpackedAt: new Date().toISOString(),
  });
  if (!keepZip) fs.rmSync(zipPath, { force: true });
  return {
    archive,
    url,
    zipPath,
    sha1: got.sha1,
    source,
    transferred: got.transferred,
    unpacked,
    unpackedDir: fs.existsSync(unpackedDir) ? unpackedDir : dir,
    zipKept: keepZip,
  };
}
