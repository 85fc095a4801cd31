// Download + verify + safe unzip, against a local HTTP server on 127.0.0.1 (never the real FMA host).
import { test, describe, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { startTestHttpServer, type TestHttpServer } from "../helpers/http-server";
import { makeStoredZip, pseudoRandomBytes } from "../helpers/zip-writer";
import { downloadFile, sha1File, ChecksumError, DownloadError, parseContentRange } from "../../src/data/download";
import { safeUnzip, unsafeZipEntryReason, UnsafeZipEntryError, ZipError } from "../../src/data/unzip";
import {
  installFmaArchive,
  fmaArchive,
  fmaArchiveUrl,
  fmaBaseUrl,
  fmaUnpackedMarkerPath,
  FMA_DEFAULT_BASE_URL,
  type FmaArchive,
} from "../../src/data/archives";
import { main } from "../../src/cli/main";

const sha1Of = (data: Uint8Array): string => createHash("sha1").update(data).digest("hex");

// A small FMA-shaped archive: fma_tiny/<3 digits>/<6 digits>.mp3 (random bytes) and a text file.
const CLIP_A = pseudoRandomBytes(150_000, 7);
const CLIP_B = pseudoRandomBytes(120_000, 11);
const README = "tiny test archive\n";
const TINY_ZIP = makeStoredZip([
  { name: "fma_tiny/" },
  { name: "fma_tiny/000/" },
  { name: "fma_tiny/000/000002.mp3", data: CLIP_A },
  { name: "fma_tiny/133/000133.mp3", data: CLIP_B }, // no directory entry for 133/: must be created anyway
  { name: "fma_tiny/README.txt", data: README },
]);
const TINY_SHA1 = sha1Of(TINY_ZIP);
const TINY: FmaArchive = {
  name: "tiny",
  file: "fma_tiny.zip",
  folder: "fma_tiny",
  sha1: TINY_SHA1,
  approxBytes: TINY_ZIP.length,
  description: "test archive",
};

let server: TestHttpServer;
let tmp: string;

before(async () => {
  server = await startTestHttpServer({}, { maxRequests: 12 });
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-download-"));
  server.files.clear();
  server.redirects.clear();
  server.requests.length = 0;
  server.files.set("/fma_tiny.zip", { data: TINY_ZIP });
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Tracks the bytes a download has on disk (onProgress) so the server can wait for them before dropping. */
function diskProgress(): { onProgress: (bytes: number) => void; untilOnDisk: (bytes: number) => Promise<void> } {
  let onDisk = 0;
  const waiting: Array<[number, () => void]> = [];
  return {
    onProgress: (bytes) => {
      onDisk = bytes;
      for (let i = waiting.length - 1; i >= 0; i--) {
        if (waiting[i][0] <= onDisk) waiting.splice(i, 1)[0][1]();
      }
    },
    untilOnDisk: (bytes) => (onDisk >= bytes ? Promise.resolve() : new Promise((resolve) => void waiting.push([bytes, resolve]))),
  };
}

function assertTinyUnpacked(dir: string): void {
  assert.deepEqual(fs.readFileSync(path.join(dir, "fma_tiny", "000", "000002.mp3")), CLIP_A);
  assert.deepEqual(fs.readFileSync(path.join(dir, "fma_tiny", "133", "000133.mp3")), CLIP_B);
  assert.equal(fs.readFileSync(path.join(dir, "fma_tiny", "README.txt"), "utf8"), README);
}

/** Every file below `dir`, relative. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => fs.statSync(path.join(dir, p)).isFile())
    .sort();
}

describe("archive table and URLs", () => {
  test("the official archives carry the published SHA1s and the default base URL", () => {
    assert.equal(fmaArchive("small")?.sha1, "ade154f733639d52e35e32f5593efe5be76c6d70");
    assert.equal(fmaArchive("metadata")?.file, "fma_metadata.zip");
    assert.equal(fmaArchive("huge"), null);
    assert.equal(fmaArchive("toString"), null);
    assert.equal(fmaArchiveUrl(fmaArchive("large")!, fmaBaseUrl(undefined, {})), "https://os.unil.cloud.switch.ch/fma/fma_large.zip");
    assert.equal(FMA_DEFAULT_BASE_URL, "https://os.unil.cloud.switch.ch/fma/");
  });
  test("the base URL is overridable by option and by FMA_BASE_URL", () => {
    assert.equal(fmaBaseUrl(undefined, { FMA_BASE_URL: "http://127.0.0.1:9/mirror" }), "http://127.0.0.1:9/mirror/");
    assert.equal(fmaBaseUrl("http://example.test/x/", { FMA_BASE_URL: "http://127.0.0.1:9/" }), "http://example.test/x/");
    assert.throws(() => fmaBaseUrl("ftp://host/"), /only http: and https:/);
  });
  test("Content-Range parsing", () => {
    assert.deepEqual(parseContentRange("bytes 10-99/100"), { start: 10, end: 99, total: 100 });
    assert.deepEqual(parseContentRange("bytes */100"), { start: undefined, end: undefined, total: 100 });
    assert.equal(parseContentRange("garbage"), null);
  });
});

describe("downloadFile", () => {
  test("happy path: file written under its final name only, SHA1 checked", async () => {
    const dest = path.join(tmp, "fma_tiny.zip");
    const got = await downloadFile({ url: server.baseUrl + "fma_tiny.zip", dest, expectedSha1: TINY_SHA1, quiet: true });
    assert.equal(got.sha1, TINY_SHA1);
    assert.equal(got.bytes, TINY_ZIP.length);
    assert.equal(got.resumed, false);
    assert.deepEqual(fs.readFileSync(dest), TINY_ZIP);
    assert.equal(fs.existsSync(dest + ".partial"), false);
    assert.equal(await sha1File(dest), TINY_SHA1);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].range, undefined);
  });

  test("wrong checksum: error names both SHA1s, no final file, bad bytes kept as .corrupt", async () => {
    const dest = path.join(tmp, "fma_tiny.zip");
    const wrong = "0123456789abcdef0123456789abcdef01234567";
    await assert.rejects(
      downloadFile({ url: server.baseUrl + "fma_tiny.zip", dest, expectedSha1: wrong, quiet: true }),
      (err: unknown) => {
        assert.ok(err instanceof ChecksumError);
        assert.match(err.message, new RegExp(wrong));
        assert.match(err.message, new RegExp(TINY_SHA1));
        assert.match(err.message, /\.corrupt/);
        return true;
      },
    );
    assert.equal(fs.existsSync(dest), false);
    assert.equal(fs.existsSync(dest + ".partial"), false);
    assert.deepEqual(fs.readFileSync(dest + ".corrupt"), TINY_ZIP);
  });

  test("interrupted, then resumed by a second call with Range from the partial size", async () => {
    const disk = diskProgress();
    server.files.set("/fma_tiny.zip", { data: TINY_ZIP, dropAfterBytes: 100_000, beforeDrop: disk.untilOnDisk });
    const dest = path.join(tmp, "fma_tiny.zip");
    const url = server.baseUrl + "fma_tiny.zip";
    const first = downloadFile({ url, dest, expectedSha1: TINY_SHA1, quiet: true, retries: 0, onProgress: disk.onProgress });
    await assert.rejects(first, (err: unknown) => {
      assert.ok(err instanceof DownloadError);
      assert.equal(err.unreachable, false);
      return true;
    });
    assert.equal(fs.existsSync(dest), false);
    const partialSize = fs.statSync(dest + ".partial").size;
    assert.equal(partialSize, 100_000);
    assert.deepEqual(fs.readFileSync(dest + ".partial"), TINY_ZIP.subarray(0, partialSize));

    const got = await downloadFile({ url, dest, expectedSha1: TINY_SHA1, quiet: true, retries: 0 });
    assert.equal(got.resumed, true);
    assert.equal(got.sha1, TINY_SHA1);
    assert.equal(got.transferred, TINY_ZIP.length - partialSize);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1].range, `bytes=${partialSize}-`);
    assert.equal(server.requests[1].status, 206);
    assert.ok(server.bytesSent() < 2 * TINY_ZIP.length, `sent ${server.bytesSent()} bytes for a ${TINY_ZIP.length}-byte file`);
    assert.deepEqual(fs.readFileSync(dest), TINY_ZIP);
    assert.equal(fs.existsSync(dest + ".partial"), false);
  });

  test("retries inside one call resume from the partial after each dropped connection", async () => {
    const disk = diskProgress();
    server.files.set("/fma_tiny.zip", { data: TINY_ZIP, dropAfterBytes: 60_000, misbehaveTimes: 2, beforeDrop: disk.untilOnDisk });
    const dest = path.join(tmp, "fma_tiny.zip");
    const got = await downloadFile({
      url: server.baseUrl + "fma_tiny.zip",
      dest,
      onProgress: disk.onProgress,
      expectedSha1: TINY_SHA1,
      quiet: true,
      retries: 3,
      retryDelayMs: 5,
    });
    assert.equal(got.sha1, TINY_SHA1);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(
      server.requests.map((r) => r.range),
      [undefined, `bytes=60000-`, `bytes=120000-`],
    );
    assert.ok(server.bytesSent() < 2 * TINY_ZIP.length);
  });

  test("a stalled connection times out and the retry resumes", async () => {
    server.files.set("/fma_tiny.zip", { data: TINY_ZIP, stallAfterBytes: 50_000 });
    const dest = path.join(tmp, "fma_tiny.zip");
    const got = await downloadFile({
      url: server.baseUrl + "fma_tiny.zip",
      dest,
      expectedSha1: TINY_SHA1,
      quiet: true,
      retries: 1,
      retryDelayMs: 5,
      idleTimeoutMs: 300,
    });
    assert.equal(got.sha1, TINY_SHA1);
    assert.equal(server.requests.length, 2);
    // What the client had buffered but not yet written when it gave up is fetched again.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1].range ?? "")?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 50_000, `resumed at ${server.requests[1].range}`);
  });

  test("a server ignoring Range (200) makes the download restart from byte 0", async () => {
    server.files.set("/fma_tiny.zip", { data: TINY_ZIP, ignoreRange: true });
    const dest = path.join(tmp, "fma_tiny.zip");
    // A partial holding WRONG bytes: appending the full body to it would break the SHA1.
    fs.writeFileSync(dest + ".partial", Buffer.alloc(5000, 0xee));
    const got = await downloadFile({ url: server.baseUrl + "fma_tiny.zip", dest, expectedSha1: TINY_SHA1, quiet: true });
    assert.equal(server.requests[0].range, "bytes=5000-");
    assert.equal(server.requests[0].status, 200);
    assert.equal(got.resumed, false);
    assert.equal(got.sha1, TINY_SHA1);
    assert.deepEqual(fs.readFileSync(dest), TINY_ZIP);
  });

  test("416 on a partial that is already whole: verified and renamed, nothing re-sent", async () => {
    const dest = path.join(tmp, "fma_tiny.zip");
    fs.writeFileSync(dest + ".partial", TINY_ZIP);
    const got = await downloadFile({ url: server.baseUrl + "fma_tiny.zip", dest, expectedSha1: TINY_SHA1, quiet: true });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].status, 416);
    assert.equal(got.transferred, 0);
    assert.equal(got.sha1, TINY_SHA1);
    assert.equal(fs.existsSync(dest + ".partial"), false);
  });

  test("follows redirects", async () => {
    server.redirects.set("/old/fma_tiny.zip", "/fma_tiny.zip");
    const dest = path.join(tmp, "fma_tiny.zip");
    const got = await downloadFile({ url: server.baseUrl + "old/fma_tiny.zip", dest, expectedSha1: TINY_SHA1, quiet: true });
    assert.equal(got.sha1, TINY_SHA1);
    assert.deepEqual(
      server.requests.map((r) => r.status),
      [302, 200],
    );
  });

  test("HTTP 404 fails at once with the status", async () => {
    const dest = path.join(tmp, "missing.zip");
    await assert.rejects(
      downloadFile({ url: server.baseUrl + "missing.zip", dest, quiet: true, retries: 3, retryDelayMs: 5 }),
      (err: unknown) => err instanceof DownloadError && err.status === 404 && /HTTP 404/.test(err.message),
    );
    assert.equal(server.requests.length, 1);
  });
});

describe("safeUnzip", () => {
  test("extracts files with their content, creating missing folders", async () => {
    const zipPath = path.join(tmp, "fma_tiny.zip");
    fs.writeFileSync(zipPath, TINY_ZIP);
    const out = path.join(tmp, "out");
    const r = await safeUnzip(zipPath, out, { quiet: true });
    assert.deepEqual(r, { files: 3, bytes: CLIP_A.length + CLIP_B.length + README.length, extracted: 3, skipped: 0, dirs: 2 });
    assertTinyUnpacked(out);
    assert.deepEqual(listFiles(out), ["fma_tiny/000/000002.mp3", "fma_tiny/133/000133.mp3", "fma_tiny/README.txt"].map((p) => path.normalize(p)));
  });

  test("resumable: files already there with the right size are skipped, damaged ones re-extracted", async () => {
    const zipPath = path.join(tmp, "fma_tiny.zip");
    fs.writeFileSync(zipPath, TINY_ZIP);
    const out = path.join(tmp, "out");
    await safeUnzip(zipPath, out, { quiet: true });
    fs.rmSync(path.join(out, "fma_tiny", "README.txt"));
    fs.truncateSync(path.join(out, "fma_tiny", "133", "000133.mp3"), 1000);
    fs.writeFileSync(path.join(out, "fma_tiny", "133", ".000133.mp3.999.deadbeef.tmp"), "stale temp of a killed run");
    const r = await safeUnzip(zipPath, out, { quiet: true });
    assert.equal(r.extracted, 2);
    assert.equal(r.skipped, 1);
    assertTinyUnpacked(out);
    assert.equal(fs.existsSync(path.join(out, "fma_tiny", "133", ".000133.mp3.999.deadbeef.tmp")), false);
  });

  const unsafeCases: Array<[string, string, Parameters<typeof makeStoredZip>[0][number], RegExp]> = [
    ["../ entry", "../evil.txt", { name: "../evil.txt", data: "evil" }, /escapes the target folder/],
    ["nested ../ entry", "a/../../evil.txt", { name: "a/../../evil.txt", data: "evil" }, /escapes the target folder/],
    ["backslash ..\\ entry", "..\\evil.txt", { name: "..\\evil.txt", data: "evil" }, /escapes the target folder|invalid characters/],
    ["drive letter", "C:/evil.txt", { name: "C:/evil.txt", data: "evil" }, /absolute path/],
    ["symlink entry", "link", { name: "fma_tiny/link", data: "/etc/passwd", unixMode: 0o120777 }, /symbolic link/],
  ];
  for (const [label, , entry, expected] of unsafeCases) {
    test(`rejects a ${label} before writing anything`, async () => {
      // The good entry comes FIRST: a one-pass extractor would already have written it.
      const zipPath = path.join(tmp, "bad.zip");
      fs.writeFileSync(zipPath, makeStoredZip([{ name: "fma_tiny/good.txt", data: "good" }, entry]));
      const out = path.join(tmp, "out", "inner");
      await assert.rejects(safeUnzip(zipPath, out, { quiet: true }), (err: unknown) => {
        assert.ok(err instanceof UnsafeZipEntryError, `got ${String(err)}`);
        assert.match(err.message, expected);
        assert.match(err.message, /nothing was extracted/);
        return true;
      });
      assert.equal(fs.existsSync(path.join(tmp, "out")), false, "nothing written at all");
      assert.deepEqual(fs.readdirSync(tmp), ["bad.zip"]);
    });
  }

  test("rejects an absolute path entry, writing nothing (not even at that absolute path)", async () => {
    const target = path.join(tmp, "abs-evil.txt");
    const zipPath = path.join(tmp, "bad.zip");
    fs.writeFileSync(zipPath, makeStoredZip([{ name: "good.txt", data: "good" }, { name: target, data: "evil" }]));
    const out = path.join(tmp, "out");
    await assert.rejects(safeUnzip(zipPath, out, { quiet: true }), (err: unknown) => {
      assert.ok(err instanceof UnsafeZipEntryError);
      assert.match(err.message, /absolute path/);
      assert.ok(err.message.includes(target));
      return true;
    });
    assert.equal(fs.existsSync(target), false);
    assert.equal(fs.existsSync(out), false);
  });

  test("entry checks without yauzl's own name validation", () => {
    const entry = (fileName: string, mode = 0o100644) => ({
      fileName,
      externalFileAttributes: (mode << 16) >>> 0,
      compressionMethod: 0,
      isEncrypted: () => false,
    });
    const root = path.join(tmp, "root");
    assert.equal(unsafeZipEntryReason(entry("fma_small/000/000002.mp3"), root), null);
    assert.equal(unsafeZipEntryReason(entry("fma_small/"), root), null);
    assert.match(unsafeZipEntryReason(entry("x/../../y"), root) ?? "", /escapes/);
    assert.match(unsafeZipEntryReason(entry("/etc/passwd"), root) ?? "", /absolute/);
    assert.match(unsafeZipEntryReason(entry("\\\\server\\share"), root) ?? "", /absolute/);
    assert.match(unsafeZipEntryReason(entry("d:evil"), root) ?? "", /absolute/);
    assert.match(unsafeZipEntryReason(entry("dev", 0o020644), root) ?? "", /special file/);
    assert.match(unsafeZipEntryReason({ ...entry("x"), compressionMethod: 12 }, root) ?? "", /compression method 12/);
    assert.match(unsafeZipEntryReason({ ...entry("x"), isEncrypted: () => true }, root) ?? "", /encrypted/);
  });

  test("a CRC error names the entry and leaves no file under its name", async () => {
    const zipPath = path.join(tmp, "damaged.zip");
    fs.writeFileSync(zipPath, makeStoredZip([{ name: "dir/bad.bin", data: pseudoRandomBytes(1000, 3), crcOverride: 0x12345678 }]));
    const out = path.join(tmp, "out");
    await assert.rejects(safeUnzip(zipPath, out, { quiet: true }), (err: unknown) => {
      assert.ok(err instanceof ZipError);
      assert.match(err.message, /entry "dir\/bad\.bin"/);
      assert.match(err.message, /CRC-32 mismatch: expected 12345678/);
      return true;
    });
    assert.deepEqual(listFiles(out), []);
  });

  test("a file that is not a zip gives a ZipError naming it", async () => {
    const zipPath = path.join(tmp, "not.zip");
    fs.writeFileSync(zipPath, "this is not a zip archive");
    await assert.rejects(safeUnzip(zipPath, path.join(tmp, "out"), { quiet: true }), (err: unknown) => {
      return err instanceof ZipError && err.message.startsWith(zipPath);
    });
  });
});

describe("installFmaArchive", () => {
  test("downloads, verifies, unpacks, removes the zip; a rerun does nothing", async () => {
    const dir = path.join(tmp, "fma");
    const r = await installFmaArchive(TINY, { dir, baseUrl: server.baseUrl, quiet: true });
    assert.equal(r.source, "downloaded");
    assert.equal(r.sha1, TINY_SHA1);
    assert.equal(r.unpackedDir, path.join(dir, "fma_tiny"));
    assert.equal(r.unpacked?.files, 3);
    assertTinyUnpacked(dir);
    assert.equal(fs.existsSync(path.join(dir, "fma_tiny.zip")), false);
    assert.ok(fs.existsSync(fmaUnpackedMarkerPath(TINY, dir)));
    assert.equal(server.requests.length, 1);

    const again = await installFmaArchive(TINY, { dir, baseUrl: server.baseUrl, quiet: true });
    assert.equal(again.source, "already-unpacked");
    assert.equal(server.requests.length, 1);
  });

  test("wrong published checksum: nothing unpacked, no final zip", async () => {
    const dir = path.join(tmp, "fma");
    const wrong = { ...TINY, sha1: "ffffffffffffffffffffffffffffffffffffffff" };
    await assert.rejects(installFmaArchive(wrong, { dir, baseUrl: server.baseUrl, quiet: true }), ChecksumError);
    assert.equal(fs.existsSync(path.join(dir, "fma_tiny")), false);
    assert.equal(fs.existsSync(path.join(dir, "fma_tiny.zip")), false);
    assert.ok(fs.existsSync(path.join(dir, "fma_tiny.zip.corrupt")));
  });

  test("a zip already in DIR is verified and unpacked without any request", async () => {
    const dir = path.join(tmp, "fma");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "fma_tiny.zip"), TINY_ZIP);
    const r = await installFmaArchive(TINY, { dir, baseUrl: server.baseUrl, quiet: true, keepZip: true });
    assert.equal(r.source, "present");
    assert.equal(r.transferred, 0);
    assert.equal(server.requests.length, 0);
    assertTinyUnpacked(dir);
    assert.ok(fs.existsSync(path.join(dir, "fma_tiny.zip")), "--keep-zip keeps it");
  });

  test("a damaged zip already in DIR is refused before unpacking and moved aside", async () => {
    const dir = path.join(tmp, "fma");
    fs.mkdirSync(dir);
    const damaged = Buffer.from(TINY_ZIP);
    damaged[1000] ^= 0xff;
    fs.writeFileSync(path.join(dir, "fma_tiny.zip"), damaged);
    await assert.rejects(installFmaArchive(TINY, { dir, baseUrl: server.baseUrl, quiet: true }), (err: unknown) => {
      assert.ok(err instanceof ChecksumError);
      assert.match(err.message, new RegExp(`expected ${TINY_SHA1}, got ${sha1Of(damaged)}`));
      return true;
    });
    assert.equal(server.requests.length, 0);
    assert.equal(fs.existsSync(path.join(dir, "fma_tiny")), false);
    assert.ok(fs.existsSync(path.join(dir, "fma_tiny.zip.corrupt")));
  });

  test("--no-unzip keeps only the verified zip", async () => {
    const dir = path.join(tmp, "fma");
    const r = await installFmaArchive(TINY, { dir, baseUrl: server.baseUrl, quiet: true, unzip: false });
    assert.equal(r.unpacked, null);
    assert.equal(r.zipKept, true);
    assert.deepEqual(fs.readdirSync(dir), ["fma_tiny.zip"]);
  });
});

describe("fmalab download (CLI)", () => {
  async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => void out.push(a.join(" "));
    console.error = (...a: unknown[]) => void err.push(a.join(" "));
    try {
      const code = await main(argv);
      return { code, out: out.join("\n"), err: err.join("\n") };
    } finally {
      console.log = log;
      console.error = error;
    }
  }

  test("--help prints the usage with every subset", async () => {
    const r = await runCli(["download", "--help"]);
    assert.equal(r.code, 0);
    for (const s of ["--subset", "small", "medium", "large", "full", "metadata", "--keep-zip", "--no-unzip", "--base-url"]) {
      assert.ok(r.out.includes(s), `usage mentions ${s}`);
    }
  });

  test("a bad or missing --subset is a usage error listing the valid ones", async () => {
    const bad = await runCli(["download", "--subset", "huge", "--dir", tmp]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown --subset "huge": expected one of metadata, small, medium, large, full/);
    const missing = await runCli(["download", "--dir", tmp]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--subset is required/);
    const unknownOption = await runCli(["download", "--subset", "small", "--bogus"]);
    assert.equal(unknownOption.code, 2);
  });

  test("an unreachable host gives the offline message naming where to put the zip", async () => {
    const closed = await startTestHttpServer();
    const port = closed.port;
    await closed.close();
    const dir = path.join(tmp, "fma");
    const r = await runCli(["download", "--subset", "metadata", "--dir", dir, "--base-url", `http://127.0.0.1:${port}/`, "--skip-space-check"]);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(`cannot reach 127.0.0.1:${port}: this machine may be offline`), r.err);
    assert.ok(r.err.includes(`place it at ${path.join(dir, "fma_metadata.zip")}, then rerun`), r.err);
    assert.ok(r.err.includes("verifies and unpacks a zip already present"));
    assert.equal(fs.existsSync(path.join(dir, "fma_metadata.zip")), false);
  });
});
