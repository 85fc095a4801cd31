// Reading text files strictly: a folder, device or FIFO given as a file is a clear error, and so is a
// byte that is not UTF-8 (named by line and column), instead of a stack trace or a silent U+FFFD.
import * as fs from "node:fs";
import { InputError } from "./errors";

/** Check that `file` is a regular file (following symlinks); an InputError says what it is instead. */
export function assertRegularFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(file, "no such file");
    if (code === "EACCES" || code === "EPERM") throw new InputError(file, "permission denied");
    throw new InputError(file, `cannot be read (${code ?? (err as Error).message})`);
  }
  if (st.isFile()) return st;
  const what = st.isDirectory()
    ? "a folder"
    : st.isCharacterDevice() || st.isBlockDevice()
      ? "a device"
      : st.isFIFO()
        ? "a FIFO (named pipe)"
        : st.isSocket()
          ? "a socket"
          : "not a regular file";
  throw new InputError(file, `is ${what}, not a file`);
}

/** The bytes of a regular file; errors (folder, device, permission) name the file. */
export function readRegularFile(file: string): Buffer {
  assertRegularFile(file);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new InputError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode UTF-8 with `fatal: true`; an invalid byte is an InputError naming `file`, line and column. */
export function decodeUtf8Strict(bytes: Uint8Array, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const { line, column } = lineAndColumn(bytes, offset);
    const hex = bytes[offset]?.toString(16).padStart(2, "0") ?? "end of file";
    throw new InputError(file, `invalid UTF-8 (byte 0x${hex} at offset ${offset}); save the file as UTF-8`, { line, column });
  }
}

/** Read a text file as strict UTF-8 (see decodeUtf8Strict, readRegularFile). */
export function readTextFileStrict(file: string): string {
  return decodeUtf8Strict(readRegularFile(file), file);
}

/** Offset of the first byte that does not start (or continue) a valid UTF-8 sequence; bytes.length if none. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

/** 1-based line and column (in characters) of byte `offset`. */
function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Characters before the bad byte on its line (the prefix is valid UTF-8).
  const prefix = Buffer.from(bytes.buffer, bytes.byteOffset + lineStart, offset - lineStart).toString("utf8");
  return { line, column: [...prefix].length + 1 };
}

/** Read a JSON file (strict UTF-8); a parse error is an InputError naming the file and `what` it is. */
export function readJsonFileStrict<T>(file: string, what = "JSON file"): T {
  const text = readTextFileStrict(file);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InputError(file, `not valid JSON (${(err as Error).message}); the ${what} is damaged`);
  }
}
