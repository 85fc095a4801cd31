// RFC-4180 CSV reading/writing and Python-literal lists, the two text formats of FMA's metadata.
// One linear pass over the text (no per-row re-scanning), so the real 260 MB tracks.csv parses in seconds.
import { InputError } from "../util/errors";

export interface ParsedCsv {
  /** One array of cell texts per row (quotes removed, doubled quotes undone). */
  rows: string[][];
  /** lines[i] = the 1-based line of the file where rows[i] starts (rows may span lines). */
  lines: number[];
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * Parse RFC-4180 CSV: fields separated by commas, optionally quoted with `"`, `""` inside quotes is
 * one quote, quoted fields may hold commas and newlines, lines end with LF or CRLF. Blank lines are
 * skipped (as pandas does). A leading UTF-8 BOM is ignored.
 * Throws InputError(file, ..., {line}) for an unterminated quote or text after a closing quote.
 */
export function parseCsv(text: string, file: string): ParsedCsv {
  const rows: string[][] = [];
  const lines: number[] = [];
  forEachCsvRow(text, file, (row, line) => {
    rows.push(row);
    lines.push(line);
  });
  return { rows, lines };
}

/**
 * The streaming form of parseCsv: calls `onRow(cells, line)` for each row as it is read, so a caller
 * that converts rows (tracks.csv) never holds all 5.5 M cell strings at once. Return false to stop.
 */
export function forEachCsvRow(text: string, file: string, onRow: (row: string[], line: number) => boolean | void): void {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  while (pos < n) {
    // Skip blank lines between rows.
    const c0 = text.charCodeAt(pos);
    if (c0 === LF) {
      pos++;
      line++;
      continue;
    }
    if (c0 === CR && text.charCodeAt(pos + 1) === LF) {
      pos += 2;
      line++;
      continue;
    }

    const rowLine = line;
    const row: string[] = [];
    // Read fields until the end of the row.
    for (;;) {
      let field: string;
      if (text.charCodeAt(pos) === QUOTE) {
        const startLine = line;
        let start = pos + 1;
        let value = "";
        for (;;) {
          const q = text.indexOf('"', start);
          if (q < 0) {
            throw new InputError(file, `unterminated quoted field (opened on line ${startLine})`, { line: startLine });
          }
          line += countNewlines(text, start, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(start, q + 1); // keep one quote
            start = q + 2;
            continue;
          }
          value += text.slice(start, q);
          pos = q + 1;
          break;
        }
        field = value;
        const next = pos < n ? text.charCodeAt(pos) : LF;
        if (next !== COMMA && next !== LF && !(next === CR && text.charCodeAt(pos + 1) === LF) && pos < n) {
          throw new InputError(file, `unexpected character ${JSON.stringify(text[pos])} after a closing quote`, {
            line,
          });
        }
      } else {
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === COMMA || c === LF || (c === CR && text.charCodeAt(end + 1) === LF)) break;
          end++;
        }
        field = text.slice(pos, end);
        pos = end;
      }
      row.push(field);

      if (pos >= n) break;
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      // End of row: LF or CRLF.
      pos += c === CR ? 2 : 1;
      line++;
      break;
    }
    if (onRow(row, rowLine) === false) return;
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  let i = text.indexOf("\n", from);
  while (i >= 0 && i < to) {
    count++;
    i = text.indexOf("\n", i + 1);
  }
  return count;
}

/** Quote a cell only when needed (comma, quote, CR or LF), like Python's csv / pandas (QUOTE_MINIMAL). */
export function formatCsvCell(cell: string | number | null | undefined): string {
  if (cell === null || cell === undefined) return "";
  const text = typeof cell === "number" ? formatCsvNumber(cell) : cell;
  if (/[",\r\n]/.test(text)) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

function formatCsvNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : ""; // NaN is a missing value, like pandas writes it
}

/** One CSV row (no line terminator): cells joined by commas, quoted where needed; null → empty. */
export function formatCsvRow(cells: ReadonlyArray<string | number | null | undefined>): string {
  return cells.map(formatCsvCell).join(",");
}

// ---------------------------------------------------------------------------------------------
// Python list literals: FMA stores track.genres as `[21, 12]` and tags as `['rock', 'noise']`.

/** Where a list literal came from, for error messages. */
export interface ListSource {
  file: string;
  line?: number;
  column?: string;
}

const INT_LIST_RE = /^\[-?\d{1,15}(, -?\d{1,15})*\]$/;

/**
 * Parse a Python list literal of ints/floats or of quoted strings (single or double quotes, with
 * backslash escapes): `[]`, `[21, 12]`, `['rock', "don't"]`. A trailing comma is allowed.
 * Throws InputError naming `where` (file, line, column) when malformed.
 */
export function parsePythonList(text: string, where: ListSource | string): Array<number | string> {
  // Fast paths for FMA's two common shapes: "[]" and "[12, 45, 53]".
  if (text === "[]") return [];
  if (INT_LIST_RE.test(text)) return text.slice(1, -1).split(", ").map(Number);
  const src: ListSource = typeof where === "string" ? { file: where } : where;
  const fail = (problem: string): never => {
    throw new InputError(src.file, `${problem} in list literal ${JSON.stringify(clip(text))}`, {
      line: src.line,
      column: src.column,
    });
  };
  const n = text.length;
  let i = 0;
  const skipSpace = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] !== "[") fail("expected '['");
  i++;
  const out: Array<number | string> = [];
  skipSpace();
  if (text[i] === "]") {
    i++;
  } else {
    for (;;) {
      skipSpace();
      const c = text[i];
      if (c === "'" || c === '"') {
        const { value, end } = readPythonString(text, i, fail);
        out.push(value);
        i = end;
      } else {
        const m = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
        if (!m) fail(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)} at offset ${i}`);
        out.push(Number(m![0]));
        i += m![0].length;
      }
      skipSpace();
      if (text[i] === ",") {
        i++;
        skipSpace();
        if (text[i] === "]") {
          i++;
          break;
        }
        continue;
      }
      if (text[i] === "]") {
        i++;
        break;
      }
      fail(i >= n ? "missing ']'" : `expected ',' or ']' at offset ${i}, got ${JSON.stringify(text[i])}`);
    }
  }
  skipSpace();
  if (i < n) fail(`unexpected text after ']' at offset ${i}`);
  return out;
}

function readPythonString(
  text: string,
  start: number,
  fail: (problem: string) => never,
): { value: string; end: number } {
  const quote = text[start];
  let i = start + 1;
  let value = "";
  for (;;) {
    if (i >= text.length) fail(`unterminated string starting at offset ${start}`);
    const c = text[i];
    if (c === quote) return { value, end: i + 1 };
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    i += 2;
    switch (e) {
      case "\\":
      case "'":
      case '"':
        value += e;
        break;
      case "n":
        value += "\n";
        break;
      case "t":
        value += "\t";
        break;
      case "r":
        value += "\r";
        break;
      case "0":
        value += "\0";
        break;
      case "x":
      case "u":
      case "U": {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = text.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`bad \\${e} escape at offset ${i - 2}`);
        value += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        fail(e === undefined ? "unterminated string" : `unknown escape \\${e} at offset ${i - 2}`);
    }
  }
}

/**
 * Write values as Python's repr of a list, exactly like FMA's text: `[21, 12]`, `['a', 'b']`, `[]`.
 * Strings use single quotes unless they contain a single quote and no double quote (Python's rule).
 */
export function formatPythonList(values: ReadonlyArray<number | string>): string {
  return `[${values.map((v) => (typeof v === "number" ? String(v) : pythonStringRepr(v))).join(", ")}]`;
}

/** Python's repr() of a str (ASCII-printable subset exact; other characters kept as they are). */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else {
      const code = ch.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
      else out += ch;
    }
  }
  return out + quote;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}
