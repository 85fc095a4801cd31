// Resumable, checksum-verified HTTP(S) downloads with node:http/https only.
//
// A download is written to `dest + ".partial"`; a later call (or a retry after a network error) resumes
// it with `Range: bytes=N-`. The SHA1 is computed incrementally while writing (on resume, the existing
// partial is hashed first), and the partial becomes `dest` only once its SHA1 (and size) match.
// A mismatch deletes nothing: the bad file is renamed to `dest + ".corrupt"` (so the bytes can be
// inspected, and a rerun starts afresh) and a ChecksumError names the expected and actual SHA1.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { createHash, type Hash } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ProgressBar, formatBytes } from "../util/progress";

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Published SHA1 (hex). When given, `dest` is only created if the download matches it. */
  expectedSha1?: string;
  /** Exact size in bytes, when known. */
  expectedSize?: number;
  /** Called as bytes arrive: bytes of the file on disk so far, and the total when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Retries after a network error or a 5xx, each resuming from the partial (default 5). */
  retries?: number;
  /** First retry delay, doubled at each retry and capped at 30 s (default 1000 ms). */
  retryDelayMs?: number;
  /** Abort an attempt after this long without any byte (connect or body; default 60 s). */
  idleTimeoutMs?: number;
  /** Redirects followed per request (default 10). */
  maxRedirects?: number;
  /** No progress bar and no log lines (default false). */
  quiet?: boolean;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** Label of the progress bar (default: the file name). */
  label?: string;
}

export interface DownloadResult {
  /** The verified file (= dest). */
  path: string;
  /** Its size. */
  bytes: number;
  /** Its SHA1 (hex, lower case). */
  sha1: string;
  /** True when an existing partial was continued instead of downloaded from byte 0. */
  resumed: boolean;
  /** Bytes received over the network by this call. */
  transferred: number;
  /** True when `dest` already existed and was verified without any request. */
  alreadyPresent: boolean;
}

/** The downloaded (or already present) file does not have the published SHA1 or size. */
export class ChecksumError extends Error {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  /** Where the bad bytes were moved (dest + ".corrupt"). */
  readonly keptAs: string;
  constructor(file: string, what: string, expected: string, actual: string, keptAs: string) {
    super(
      `${file}: ${what} mismatch: expected ${expected}, got ${actual}. The bad file was moved to ${keptAs} ` +
        `(delete it once inspected); rerun to download again.`,
    );
    this.name = "ChecksumError";
    this.file = file;
    this.expected = expected;
    this.actual = actual;
    this.keptAs = keptAs;
  }
}

/** A network or HTTP failure after all retries. `unreachable` means no connection could be made at all. */
export class DownloadError extends Error {
  readonly url: string;
  readonly host: string;
  readonly status?: number;
  readonly code?: string;
  readonly unreachable: boolean;
  constructor(url: string, problem: string, extra: { status?: number; code?: string; unreachable?: boolean } = {}) {
    super(`${url}: ${problem}`);
    this.name = "DownloadError";
    this.url = url;
    this.host = safeHost(url);
    this.status = extra.status;
    this.code = extra.code;
    this.unreachable = extra.unreachable ?? false;
  }
}

/** Writing the download failed because the disk is full (ENOSPC / EDQUOT). The partial is kept. */
export class DiskFullError extends Error {
  readonly file: string;
  readonly code: string;
  constructor(file: string, code: string, bytesOnDisk: number, hint = "The partial file is kept: free some space and rerun to resume.") {
    super(`disk full while writing ${file} (${code}; ${formatBytes(bytesOnDisk)} written so far). ${hint}`);
    this.name = "DiskFullError";
    this.file = file;
    this.code = code;
  }
}

/** Error codes meaning "no connection could be made" (offline machine, wrong host, nothing listening). */
const UNREACHABLE_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN"]);
export const DISK_FULL_CODES: ReadonlySet<string> = new Set(["ENOSPC", "EDQUOT"]);

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** SHA1 (hex) of a file, streamed; `onProgress` gets bytes hashed so far. */
export async function sha1File(file: string, onProgress?: (bytes: number) => void): Promise<string> {
  const hash = createHash("sha1");
  await hashFileInto(file, hash, onProgress);
  return hash.digest("hex");
}

async function hashFileInto(file: string, hash: Hash, onProgress?: (bytes: number) => void): Promise<number> {
  let bytes = 0;
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return bytes;
}

/** SHA1 state of the bytes currently in the partial file. */
interface HashState {
  hash: Hash;
  bytes: number;
}

/**
 * Appends chunks to an open file descriptor and feeds the SHA1 only after each write succeeded, so the
 * hash state always describes exactly the bytes on disk, whatever happens to the connection.
 */
class HashingAppender extends Writable {
  fsError: NodeJS.ErrnoException | null = null;
  constructor(
    private readonly fd: number,
    private readonly state: HashState,
    private readonly onBytes: (bytesOnDisk: number) => void,
  ) {
    super({ highWaterMark: 1 << 22 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const writeFrom = (offset: number): void => {
      fs.write(this.fd, chunk, offset, chunk.length - offset, null, (err, written) => {
        if (err) {
          this.fsError = err;
          callback(err);
          return;
        }
        if (offset + written < chunk.length) {
          writeFrom(offset + written);
          return;
        }
        this.state.hash.update(chunk);
        this.state.bytes += chunk.length;
        this.onBytes(this.state.bytes);
        callback();
      });
    };
    writeFrom(0);
  }
}

/** A failure of one attempt; `retryable` says whether resuming may help. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly extra: { status?: number; code?: string; unreachable?: boolean } = {},
  ) {
    super(message);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function fileSize(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Create `file` empty, or empty it. */
function emptyFile(file: string): void {
  fs.closeSync(fs.openSync(file, "w"));
}

/** Rename `file` to `file.corrupt` (replacing an older one) and return the new name. */
function moveAside(file: string, finalName: string): string {
  const keptAs = finalName + ".corrupt";
  fs.rmSync(keptAs, { force: true });
  fs.renameSync(file, keptAs);
  return keptAs;
}

/** Parse `Content-Range: bytes START-END/TOTAL` (or `bytes *\/TOTAL` for 416). */
export function parseContentRange(value: string | undefined): { start?: number; end?: number; total?: number } | null {
  if (!value) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  return {
    start: m[1] !== undefined ? Number(m[1]) : undefined,
    end: m[2] !== undefined ? Number(m[2]) : undefined,
    total: m[3] !== "*" ? Number(m[3]) : undefined,
  };
}

interface OpenedResponse {
  response: http.IncomingMessage;
  request: http.ClientRequest;
  finalUrl: string;
}

/** GET `url` with `headers`, following redirects; resolves on the first non-redirect response. */
function openResponse(
  url: string,
  headers: Record<string, string>,
  opts: { idleTimeoutMs: number; maxRedirects: number; signal?: AbortSignal },
): Promise<OpenedResponse> {
  return new Promise((resolve, reject) => {
    const visit = (current: string, redirectsLeft: number): void => {
      let parsed: URL;
      try {
        parsed = new URL(current);
      } catch {
        reject(new AttemptError(`invalid URL "${current}"`, false));
        return;
      }
      const client = parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : null;
      if (!client) {
        reject(new AttemptError(`unsupported protocol ${parsed.protocol} in "${current}"`, false));
        return;
      }
      // agent: false → one connection per request, closed afterwards (no keep-alive sockets left behind).
      const request = client.request(parsed, { method: "GET", headers, agent: false, signal: opts.signal });
      request.setTimeout(opts.idleTimeoutMs, () => {
        request.destroy(
          new AttemptError(`no data for ${Math.round(opts.idleTimeoutMs / 1000)} s (timeout)`, true, { code: "ETIMEDOUT" }),
        );
      });
      request.on("error", (err: NodeJS.ErrnoException) => {
        if (err instanceof AttemptError) return reject(err);
        if (err.name === "AbortError") return reject(err);
        const code = err.code;
        const unreachable = code !== undefined && UNREACHABLE_CODES.has(code);
        reject(new AttemptError(`${err.message}`, true, { code, unreachable }));
      });
      request.on("response", (response) => {
        const status = response.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
          response.resume();
          request.destroy();
          if (redirectsLeft <= 0) {
            reject(new AttemptError(`too many redirects (last: ${status} → ${response.headers.location})`, false, { status }));
            return;
          }
          visit(new URL(response.headers.location, current).href, redirectsLeft - 1);
          return;
        }
        resolve({ response, request, finalUrl: current });
      });
      request.end();
    };
    visit(url, opts.maxRedirects);
  });
}

/**
 * Download `url` to `dest`, resuming `dest + ".partial"` when present, and verify SHA1/size before the
 * partial is renamed to `dest`. When `dest` already exists it is verified instead (no request made).
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const download = new ResumableDownload(options);
  // 1. A complete file already there (e.g. downloaded elsewhere and copied in): verify it, fetch nothing.
  const existing = fileSize(options.dest);
  if (existing !== null) return download.verifyPresent(existing);
  await download.fetchWithRetries();
  // 2. Verify, then rename: only a file with the published SHA1 gets the final name.
  return download.verifyAndRename();
}

/** The settings of one downloadFile call, defaults filled in. */
interface DownloadSettings {
  url: string;
  dest: string;
  partial: string;
  label: string;
  expectedSize: number | undefined;
  expectedSha1: string | undefined;
  retries: number;
  retryDelayMs: number;
  idleTimeoutMs: number;
  maxRedirects: number;
  quiet: boolean;
  signal: AbortSignal | undefined;
  onProgress: DownloadOptions["onProgress"];
  log: (line: string) => void;
}

function downloadSettings(options: DownloadOptions): DownloadSettings {
  const quiet = options.quiet ?? false;
  return {
    url: options.url,
    dest: options.dest,
    partial: options.dest + ".partial",
    label: options.label ?? options.dest.split(/[\\/]/).pop() ?? options.dest,
    expectedSize: options.expectedSize,
    expectedSha1: options.expectedSha1?.toLowerCase(),
    retries: options.retries ?? 5,
    retryDelayMs: options.retryDelayMs ?? 1000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    maxRedirects: options.maxRedirects ?? 10,
    quiet,
    signal: options.signal,
    onProgress: options.onProgress,
    log: quiet ? (): void => {} : options.log ?? ((line: string): void => void process.stderr.write(line + "\n")),
  };
}

/** One downloadFile call: the partial's running SHA1, what was transferred, and the attempts made. */
class ResumableDownload {
  private readonly s: DownloadSettings;
  // bytes = -1: not yet synchronised with the partial on disk.
  private state: HashState = { hash: createHash("sha1"), bytes: -1 };
  private resumed = false;
  private transferred = 0;
  private everConnected = false;
  private knownTotal: number | undefined;
  private bar: ProgressBar | null = null;

  constructor(options: DownloadOptions) {
    this.s = downloadSettings(options);
    this.knownTotal = this.s.expectedSize;
  }

  /** `dest` exists already: check its size and SHA1 (a mismatch is moved aside), fetch nothing. */
  async verifyPresent(existing: number): Promise<DownloadResult> {
    const { dest, expectedSize, expectedSha1, label, quiet } = this.s;
    if (expectedSize !== undefined && existing !== expectedSize) {
      const keptAs = moveAside(dest, dest);
      throw new ChecksumError(dest, "size", `${expectedSize} bytes`, `${existing} bytes`, keptAs);
    }
    this.s.log(`${dest} already present: verifying its SHA1 (${formatBytes(existing)})`);
    const sha1 = await sha1WithBar(dest, existing, `verify ${label}`, quiet);
    if (expectedSha1 && sha1 !== expectedSha1) {
      const keptAs = moveAside(dest, dest);
      throw new ChecksumError(dest, "SHA1", expectedSha1, sha1, keptAs);
    }
    return { path: dest, bytes: existing, sha1, resumed: false, transferred: 0, alreadyPresent: true };
  }

  private report(bytesOnDisk: number): void {
    this.s.onProgress?.(bytesOnDisk, this.knownTotal);
    this.bar?.update(bytesOnDisk);
  }

  /** Make `state` describe the partial on disk (hashing it when needed); returns its size. */
  private async syncState(): Promise<number> {
    const { partial } = this.s;
    const size = fileSize(partial) ?? 0;
    if (this.state.bytes === size) return size;
    this.state = { hash: createHash("sha1"), bytes: 0 };
    if (size > 0) {
      this.s.log(`hashing the existing partial download ${partial} (${formatBytes(size)}) before resuming`);
      this.state.bytes = await hashFileInto(partial, this.state.hash);
    }
    return size;
  }

  /** Attempts, each resuming the partial, until every byte is on disk; retries back off exponentially. */
  async fetchWithRetries(): Promise<void> {
    const { partial, expectedSize, signal } = this.s;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason ?? new Error("aborted");
      let offset = await this.syncState();
      if (expectedSize !== undefined && offset > expectedSize) {
        this.s.log(`${partial} is larger than the expected ${expectedSize} bytes: starting again from 0`);
        emptyFile(partial);
        offset = await this.syncState();
      }
      if (expectedSize !== undefined && offset === expectedSize) break; // complete: only verification left
      try {
        await this.runAttempt(offset);
        break; // every byte is on disk (streamed to the end, or a 416 for a whole partial)
      } catch (err) {
        await this.afterFailedAttempt(err, attempt);
      }
    }
    this.bar?.finish();
  }

  /** Throw `err` (as a DownloadError when the network gave up) unless it is worth another attempt; then wait. */
  private async afterFailedAttempt(err: unknown, attempt: number): Promise<void> {
    const { url, partial, label, retries, retryDelayMs, signal } = this.s;
    if (err instanceof DiskFullError || (err as Error).name === "AbortError" || signal?.aborted || !(err instanceof AttemptError)) {
      this.bar?.finish();
      throw err;
    }
    // An offline machine or wrong host: fail at once rather than retry a connection that never worked.
    const retryable = err.retryable && (!err.extra.unreachable || this.everConnected);
    if (!retryable || attempt >= retries) {
      this.bar?.finish();
      const tries = attempt + 1;
      throw new DownloadError(url, `${err.message}${tries > 1 ? ` (after ${tries} attempts)` : ""}`, err.extra);
    }
    const delay = Math.min(30_000, retryDelayMs * 2 ** attempt);
    const onDisk = fileSize(partial) ?? 0;
    this.s.log(`${label}: ${err.message}; retrying in ${(delay / 1000).toFixed(1)} s from byte ${onDisk} (attempt ${attempt + 2}/${retries + 1})`);
    await sleep(delay, signal);
  }

  /** Check the whole partial's size and SHA1 (a mismatch is moved aside), fsync it, rename it to `dest`. */
  async verifyAndRename(): Promise<DownloadResult> {
    const { partial, dest, expectedSize, expectedSha1 } = this.s;
    const size = await this.syncState();
    const sha1 = this.state.hash.copy().digest("hex");
    if (expectedSize !== undefined && size !== expectedSize) {
      const keptAs = moveAside(partial, dest);
      throw new ChecksumError(dest, "size", `${expectedSize} bytes`, `${size} bytes`, keptAs);
    }
    if (expectedSha1 && sha1 !== expectedSha1) {
      const keptAs = moveAside(partial, dest);
      throw new ChecksumError(dest, "SHA1", expectedSha1, sha1, keptAs);
    }
    const fd = fs.openSync(partial, "r+");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, dest);
    return { path: dest, bytes: size, sha1, resumed: this.resumed, transferred: this.transferred, alreadyPresent: false };
  }

  /** One request: resolves "complete" when the server says the partial is already whole (416), else "streamed". */
  private async runAttempt(offset: number): Promise<"complete" | "streamed"> {
    const { url, idleTimeoutMs, maxRedirects, signal } = this.s;
    const headers: Record<string, string> = { "user-agent": "fmalab (fma-genre-lab)", "accept-encoding": "identity" };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const { response, request } = await openResponse(url, headers, { idleTimeoutMs, maxRedirects, signal });
    this.everConnected = true;
    const discard = (): void => {
      response.resume();
      request.destroy();
    };
    const writeFrom = this.bodyStart(response, offset, headers.range, discard);
    if (writeFrom === "complete") return "complete";
    const { expectedSize } = this.s;
    if (expectedSize !== undefined && this.knownTotal !== undefined && this.knownTotal !== expectedSize) {
      discard();
      throw new AttemptError(`the server has ${this.knownTotal} bytes but ${expectedSize} were expected`, false, { status: response.statusCode ?? 0 });
    }
    await this.streamBody(response, writeFrom);
    return "streamed";
  }

  /**
   * Read the response status: the byte offset the body starts at (200: 0, 206: the partial's end), or
   * "complete" for a 416 on a partial that already holds every byte. Anything else throws an AttemptError
   * (emptying the partial when the server's range cannot continue it).
   */
  private bodyStart(response: http.IncomingMessage, offset: number, range: string | undefined, discard: () => void): number | "complete" {
    const { label, partial } = this.s;
    const status = response.statusCode ?? 0;
    const contentRange = response.headers["content-range"] as string | undefined;
    if (status === 416) {
      discard();
      const parsed = parseContentRange(contentRange);
      if (offset > 0 && (parsed?.total === undefined || parsed.total === offset)) {
        this.knownTotal = this.knownTotal ?? offset;
        return "complete"; // the partial already holds every byte; verification decides
      }
      this.s.log(`${label}: server rejected the range ${range ?? "(none)"}: starting again from 0`);
      emptyFile(partial);
      throw new AttemptError(`HTTP 416 for range ${range ?? "(none)"}`, true, { status });
    }
    if (status === 206) {
      const parsed = parseContentRange(contentRange);
      if (!parsed || parsed.start !== offset) {
        discard();
        this.s.log(`${label}: server answered a different range (${contentRange ?? "none"}): starting again from 0`);
        emptyFile(partial);
        throw new AttemptError(`unexpected Content-Range ${contentRange ?? "(missing)"}`, true, { status });
      }
      if (parsed.total !== undefined) this.knownTotal = parsed.total;
      this.resumed = true;
      this.s.log(`${label}: resuming at ${formatBytes(offset)}${this.knownTotal !== undefined ? ` of ${formatBytes(this.knownTotal)}` : ""}`);
      return offset;
    }
    if (status === 200) {
      if (offset > 0) this.s.log(`${label}: server ignored the Range request: starting again from 0`);
      const length = Number(response.headers["content-length"]);
      if (Number.isFinite(length) && response.headers["content-length"] !== undefined) this.knownTotal = length;
      return 0;
    }
    discard();
    const retryable = status >= 500 || status === 408 || status === 429;
    throw new AttemptError(`HTTP ${status} ${response.statusMessage ?? ""}`.trim(), retryable, { status });
  }

  /** Write the body to the partial from `writeFrom`, hashing as it goes; a short or broken body throws. */
  private async streamBody(response: http.IncomingMessage, writeFrom: number): Promise<void> {
    const { partial, label, quiet } = this.s;
    // Open the partial: append after what was hashed, or truncate when the body starts at 0.
    const fd = fs.openSync(partial, writeFrom === 0 ? "w" : "a");
    if (writeFrom === 0) this.state = { hash: createHash("sha1"), bytes: 0 };
    if (!this.bar && !quiet) {
      this.bar = new ProgressBar({ total: this.knownTotal ?? 0, label: `download ${label}`, unit: "B", initial: writeFrom });
    }
    this.report(writeFrom);
    const writer = new HashingAppender(fd, this.state, (bytesOnDisk) => this.report(bytesOnDisk));
    const before = writeFrom;
    try {
      await pipeline(response, writer);
    } catch (err) {
      this.transferred += this.state.bytes - before;
      const fsError = writer.fsError;
      if (fsError) {
        if (fsError.code && DISK_FULL_CODES.has(fsError.code)) {
          throw new DiskFullError(partial, fsError.code, fileSize(partial) ?? 0);
        }
        throw fsError;
      }
      if (err instanceof AttemptError || (err as Error).name === "AbortError") throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new AttemptError(`connection lost: ${(err as Error).message}`, true, { code });
    } finally {
      fs.closeSync(fd);
    }
    const onDisk = this.state.bytes;
    this.transferred += onDisk - before;
    if (this.knownTotal !== undefined && onDisk < this.knownTotal) {
      throw new AttemptError(`connection closed early at ${onDisk} of ${this.knownTotal} bytes`, true);
    }
    if (this.knownTotal === undefined) this.knownTotal = onDisk;
  }
}

async function sha1WithBar(file: string, size: number, label: string, quiet: boolean): Promise<string> {
  const bar = quiet ? null : new ProgressBar({ total: size, label, unit: "B" });
  const sha1 = await sha1File(file, (bytes) => bar?.update(bytes));
  bar?.finish();
  return sha1;
}
