// File helpers shared by every stage. Everything the project writes goes through writeFileAtomic
// (temp name in the same folder, then rename), so an interrupted run never leaves a half-written file.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** A temp path beside `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** Write `data` to `target` atomically: temp file, fsync, rename. Creates the folder if needed. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
}

/** Async variant of writeFileAtomic. */
export async function writeFileAtomicAsync(target: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const handle = await fs.promises.open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.promises.rename(tmp, target);
}

/** Write JSON (pretty, trailing newline) atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + "\n");
}

/** Remove temp files left by a killed writer (names made by tempPathFor) in `dir`. */
export function removeStaleTempFiles(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(".") && name.endsWith(".tmp")) {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** The project root: the folder holding this project's package.json. */
export const PROJECT_ROOT: string = path.resolve(__dirname, "..", "..");

/** `../shared` beside the project root, or null when absent (users' clones do not have it). */
export function sharedDir(): string | null {
  const dir = path.resolve(PROJECT_ROOT, "..", "shared");
  return fs.existsSync(dir) ? dir : null;
}
