// Atomic folder writes and checkpoint files. A folder (checkpoint/, best/, last/) is written as
// <name>.tmp-XXXX/ with a COMPLETE marker written last, then swapped in with renames, so a kill -9 at
// any moment leaves either the old or the new folder whole; recoverDir() finishes an interrupted swap.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { InputError } from "../util/errors";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs";
import { folderChecksums, folderProblems, parseFolderChecksums, throwFirstProblem } from "../util/checksums";
import { shellCommand } from "../util/shell";
import { readTextFileStrict } from "../util/text";

const COMPLETE = "COMPLETE";

/** Fill a temp folder beside `target`, mark it complete, then swap it in place of `target`. */
export async function writeDirAtomic(target: string, fill: (dir: string) => Promise<void> | void): Promise<void> {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(3).toString("hex")}`;
  const tmp = `${target}.tmp-${tag}`;
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
    // COMPLETE holds the size and CRC32 of every file beside it, so a read-back can verify them.
    writeFileAtomic(path.join(tmp, COMPLETE), JSON.stringify({ ...folderChecksums(tmp, [COMPLETE]), completedAt: new Date().toISOString() }, null, 2) + "\n");
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  let old: string | null = null;
  if (fs.existsSync(target)) {
    old = `${target}.old-${tag}`;
    fs.renameSync(target, old);
  }
  fs.renameSync(tmp, target);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

export function isCompleteDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, COMPLETE));
}

/**
 * Finish or undo an interrupted writeDirAtomic of `target`: when `target` is missing, the newest
 * complete leftover (a finished .tmp- beats an .old-) becomes `target`; then every leftover goes.
 * Returns true when `target` exists and is complete afterwards.
 */
export function recoverDir(target: string): boolean {
  const parent = path.dirname(target);
  const base = path.basename(target);
  if (!fs.existsSync(parent)) return false;
  const leftovers = fs
    .readdirSync(parent)
    .filter((n) => n.startsWith(`${base}.tmp-`) || n.startsWith(`${base}.old-`))
    .map((n) => path.join(parent, n));
  if (!fs.existsSync(target)) {
    const complete = leftovers.filter(isCompleteDir);
    const pick = complete.find((p) => p.includes(".tmp-")) ?? complete[0];
    if (pick) fs.renameSync(pick, target);
  }
  for (const p of leftovers) if (fs.existsSync(p)) fs.rmSync(p, { recursive: true, force: true });
  return fs.existsSync(target) && isCompleteDir(target);
}

/**
 * recoverDir, then verify what is there: a `target` without its COMPLETE marker (a swap never leaves
 * one) or with a file that does not match COMPLETE's sizes and CRC32s is an InputError naming the file
 * and `advice`. Returns true when `target` exists, complete and verified.
 */
export function recoverVerifiedDir(target: string, advice: string): boolean {
  if (recoverDir(target)) {
    const record = parseFolderChecksums(fs.readFileSync(path.join(target, COMPLETE), "utf8"));
    if (record) throwFirstProblem(folderProblems(target, record), advice); // older folders: no checksums
    return true;
  }
  if (fs.existsSync(target)) throw new InputError(path.join(target, COMPLETE), `missing (the folder is damaged); ${advice}`);
  return false;
}

/** What to do about a damaged checkpoint: start the run over (shell-quoted). */
export function checkpointAdvice(runDir: string, runId: string): string {
  const dir = path.join(runDir, "checkpoint");
  return `the checkpoint cannot be used; to train run ${runId} again from epoch 1: ${shellCommand(["rm", "-r", "--", dir])} && ${shellCommand(["fmalab", "train", "--resume", runId, "--runs", path.dirname(runDir)])}`;
}

/** A tensor's values with its name and shape, outside tfjs (for files). */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}

interface TensorManifest {
  format: "fmalab-tensors";
  version: 1;
  tensors: Array<{ name: string; shape: number[]; dtype: "float32" | "int32"; offset: number; length: number }>;
  bytes: number;
}

/** Write named arrays as <base>.json (names, shapes, offsets) + <base>.bin (little-endian values). */
export function writeNamedArrays(dir: string, base: string, arrays: readonly NamedArray[]): void {
  const bytes = arrays.reduce((n, a) => n + a.data.length * 4, 0);
  const buf = Buffer.alloc(bytes);
  const manifest: TensorManifest = { format: "fmalab-tensors", version: 1, tensors: [], bytes };
  let offset = 0;
  for (const a of arrays) {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (size !== a.data.length) throw new Error(`${a.name}: shape [${a.shape}] does not hold ${a.data.length} values`);
    // Typed arrays are little-endian on every platform Node supports (x86-64, arm64).
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).copy(buf, offset);
    manifest.tensors.push({ name: a.name, shape: a.shape, dtype: a.dtype, offset, length: a.data.length });
    offset += a.data.length * 4;
  }
  writeFileAtomic(path.join(dir, `${base}.bin`), buf);
  writeJsonAtomic(path.join(dir, `${base}.json`), manifest);
}

/** Read what writeNamedArrays wrote; an InputError names the file when it is missing or damaged. */
export function readNamedArrays(dir: string, base: string): NamedArray[] {
  const jsonFile = path.join(dir, `${base}.json`);
  const binFile = path.join(dir, `${base}.bin`);
  for (const f of [jsonFile, binFile]) if (!fs.existsSync(f)) throw new InputError(f, "missing (damaged checkpoint)");
  let manifest: TensorManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as TensorManifest;
  } catch (err) {
    throw new InputError(jsonFile, `not valid JSON (${(err as Error).message})`);
  }
  if (manifest.format !== "fmalab-tensors" || !Array.isArray(manifest.tensors)) {
    throw new InputError(jsonFile, "not an fmalab tensor manifest");
  }
  const buf = fs.readFileSync(binFile);
  if (buf.length !== manifest.bytes) {
    throw new InputError(binFile, `has ${buf.length} bytes, its manifest says ${manifest.bytes} (truncated or foreign file)`);
  }
  return manifest.tensors.map((t) => {
    if (t.offset + t.length * 4 > buf.length) throw new InputError(binFile, `tensor ${t.name} runs past the end of the file`);
    const bytes = new Uint8Array(buf.subarray(t.offset, t.offset + t.length * 4)).buffer;
    const data = t.dtype === "int32" ? new Int32Array(bytes) : new Float32Array(bytes);
    return { name: t.name, shape: t.shape, dtype: t.dtype, data };
  });
}

/** Read and parse a JSON file, naming the file on failure. */
export function readJsonFile<T>(file: string, what: string): T {
  if (!fs.existsSync(file)) throw new InputError(file, `missing (${what})`);
  const text = readTextFileStrict(file);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InputError(file, `not valid JSON (${(err as Error).message}); the ${what} is damaged`);
  }
}
