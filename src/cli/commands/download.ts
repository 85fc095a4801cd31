// `fmalab download`: fetch one official FMA archive, verify its published SHA1, unpack it safely.
import * as path from "node:path";
import * as fs from "node:fs";
import type { CliCommand } from "../command";
import { parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { formatBytes } from "../../util/progress";
import { shellCommand, shellQuote } from "../../util/shell";
import {
  FMA_ARCHIVES,
  FMA_DEFAULT_BASE_URL,
  fmaArchive,
  fmaArchivePath,
  fmaBaseUrl,
  installFmaArchive,
  InsufficientSpaceError,
} from "../../data/archives";
import { ChecksumError, DiskFullError, DownloadError } from "../../data/download";
import { ZipError } from "../../data/unzip";

const SUBSETS = Object.keys(FMA_ARCHIVES);

const usage = `Usage: fmalab download --subset ${SUBSETS.join("|")} [--dir DIR] [--base-url URL] [--keep-zip] [--no-unzip]

Downloads one official FMA archive into DIR, checks it against the published SHA1 BEFORE unpacking,
then unpacks it safely into DIR (DIR/fma_small/000/000002.mp3, DIR/fma_metadata/tracks.csv...).

  --subset NAME       ${SUBSETS.map((s) => `${s} (${formatBytes(FMA_ARCHIVES[s as keyof typeof FMA_ARCHIVES].approxBytes)})`).join(", ")}
  --dir DIR           download folder (default: $FMA_DIR, else data/fma)
  --base-url URL      mirror to download from (default: $FMA_BASE_URL, else ${FMA_DEFAULT_BASE_URL})
  --keep-zip          keep the zip after unpacking (default: removed once unpacked)
  --no-unzip          only download and verify the zip
  --skip-space-check  do not refuse to start when free disk space looks too small

Interrupted downloads resume (DIR/<archive>.zip.partial); interrupted unpacks skip files already there.
No network? Download the zip elsewhere, put it at DIR/<archive>.zip and rerun: a zip already present is
verified and unpacked without any download. A zip whose SHA1 does not match is moved to <zip>.corrupt.`;

export const command: CliCommand = {
  name: "download",
  summary: "download and verify the official FMA archives (resumable, SHA1-checked, safe unzip)",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        subset: { type: "string" },
        dir: { type: "string" },
        "base-url": { type: "string" },
        "keep-zip": { type: "boolean" },
        "no-unzip": { type: "boolean" },
        "skip-space-check": { type: "boolean" },
      },
      usage,
    );
    if (values.subset === undefined) throw new UsageError(`--subset is required (one of ${SUBSETS.join(", ")})\n\n${usage}`);
    const archive = fmaArchive(values.subset);
    if (!archive) throw new UsageError(`unknown --subset "${values.subset}": expected one of ${SUBSETS.join(", ")}`);
    let baseUrl: string;
    try {
      baseUrl = fmaBaseUrl(values["base-url"], process.env);
    } catch (err) {
      throw new UsageError(`--base-url / FMA_BASE_URL: ${(err as Error).message}`);
    }
    const dir = path.resolve(values.dir ?? process.env.FMA_DIR ?? "data/fma");
    const zipPath = fmaArchivePath(archive, dir);
    const fail = (message: string): number => {
      console.error(`fmalab download: ${message}`);
      return 1;
    };

    try {
      const result = await installFmaArchive(archive, {
        dir,
        baseUrl,
        unzip: !values["no-unzip"],
        keepZip: values["keep-zip"] ?? false,
        checkDiskSpace: !values["skip-space-check"],
        log: (line) => console.error(line),
      });
      const lines: string[] = [];
      if (result.source === "already-unpacked") {
        lines.push(`${archive.file} is already unpacked in ${result.unpackedDir}.`);
      } else {
        const how =
          result.source === "present" ? "found in place" : result.source === "resumed" ? "downloaded (resumed)" : "downloaded";
        lines.push(`${archive.file}: ${how}, SHA1 ${result.sha1} verified.`);
        if (result.unpacked) {
          const u = result.unpacked;
          lines.push(
            `unpacked ${u.files} files (${formatBytes(u.bytes)}; ${u.extracted} written, ${u.skipped} already there) into ${result.unpackedDir}`,
          );
        }
        lines.push(result.zipKept ? `zip kept at ${result.zipPath}` : `zip removed (use --keep-zip to keep it)`);
      }
      if (result.unpackedDir) {
        lines.push("", `Set FMA_DIR=${dir} (e.g. \`export FMA_DIR=${shellQuote(dir)}\`) so the loaders find it.`);
        if (archive.name !== "metadata" && !fs.existsSync(path.join(dir, "fma_metadata", "tracks.csv"))) {
          lines.push(`The loaders also need the metadata: ${shellCommand(["fmalab", "download", "--subset", "metadata", "--dir", dir])}`);
        }
      } else {
        lines.push("", `Unpack later with: ${shellCommand(["fmalab", "download", "--subset", archive.name, "--dir", dir])}`);
      }
      console.log(lines.join("\n"));
      return 0;
    } catch (err) {
      if (err instanceof DownloadError && err.unreachable) {
        return fail(
          `cannot reach ${err.host}: this machine may be offline; download the archive elsewhere and place it at ` +
            `${zipPath}, then rerun: the command verifies and unpacks a zip already present.\n` +
            `  archive: ${err.url}\n  sha1:    ${archive.sha1}\n  (${err.message})`,
        );
      }
      if (err instanceof DownloadError) {
        return fail(`${err.message}\nThe partial download (if any) is kept: rerun to resume.`);
      }
      if (err instanceof ChecksumError || err instanceof DiskFullError || err instanceof InsufficientSpaceError || err instanceof ZipError) {
        return fail(err.message);
      }
      throw err;
    }
  },
};
