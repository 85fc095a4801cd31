// tracks.csv: one row per track, 52 typed columns under FMA's 3-row header (see schema.ts).
import * as path from "node:path";
import type { DataFrame } from "danfojs-node";
import { InputError } from "../util/errors";
import { readTextFileStrict } from "../util/text";
import { forEachCsvRow, parsePythonList, formatPythonList, formatCsvRow } from "./csv";
import type { GenreTree } from "./genres";
import { TRACKS_COLUMNS, SUBSETS, SPLITS, flatColumnName, type ColumnKind, type Split, type Subset } from "./schema";

/** A parsed cell: int/float → number, date → Date, list-int → number[], list-string → string[]. */
export type TrackValue = string | number | Date | number[] | string[] | null;

export interface TrackRecord {
  trackId: number;
  split: Split | null;
  subset: Subset | null;
  genreTop: string | null;
  /** track.genres ([] when empty). */
  genres: number[];
  /** track.genres_all: genres plus their ancestors ([] when empty). */
  genresAll: number[];
  title: string | null;
  artistName: string | null;
  albumTitle: string | null;
  /** track.duration: seconds of the full track (not of the 30 s clip). */
  duration: number | null;
  bitRate: number | null;
  /** All 52 columns by flat name, "group.column" (e.g. "track.genre_top"). */
  values: Record<string, TrackValue>;
}

/** The 52 flat column names in file order. */
export const TRACK_COLUMN_NAMES: readonly string[] = TRACKS_COLUMNS.map(([g, c]) => flatColumnName(g, c));
const COLUMN_KINDS: readonly ColumnKind[] = TRACKS_COLUMNS.map((col) => col[2]);
const COLUMN_COUNT = TRACKS_COLUMNS.length;
const KIND_OF: ReadonlyMap<string, ColumnKind> = new Map(TRACK_COLUMN_NAMES.map((name, c) => [name, COLUMN_KINDS[c]]));
// Every record's `values` starts as a copy of this, so all share one object shape (fast property access).
const VALUES_TEMPLATE: Readonly<Record<string, TrackValue>> = Object.fromEntries(TRACK_COLUMN_NAMES.map((n) => [n, null]));

/** The kind of a flat column ("track.genres" → "list-int"); throws for an unknown name. */
export function trackColumnKind(name: string): ColumnKind {
  const kind = KIND_OF.get(name);
  if (!kind) throw new Error(`unknown tracks.csv column "${name}"; columns are e.g. ${TRACK_COLUMN_NAMES.slice(0, 3).join(", ")}, ...`);
  return kind;
}

/** The three header rows of tracks.csv, as cells (what the synthetic writer must emit). */
export function tracksCsvHeaderRows(): string[][] {
  return [
    ["", ...TRACKS_COLUMNS.map(([g]) => g)],
    ["", ...TRACKS_COLUMNS.map(([, c]) => c)],
    ["track_id", ...TRACKS_COLUMNS.map(() => "")],
  ];
}

export interface ParseTracksOptions {
  /** When given, every id in track.genres / track.genres_all must be in it, and genre_top a root title. */
  genres?: GenreTree;
  /**
   * "throw" (default): the first bad cell stops the load with an InputError.
   * "record": a bad cell becomes null and its InputError is kept in TrackTable.problems.
   * Header errors, wrong cell counts, bad or duplicate track ids always throw.
   */
  badValues?: "throw" | "record";
}

/** Parse tracks.csv text (see ParseTracksOptions). */
export function parseTracksCsv(text: string, file: string, opts: ParseTracksOptions = {}): TrackTable {
  const header: string[][] = [];
  const headerLines: number[] = [];
  const records: TrackRecord[] = [];
  const problems: InputError[] = [];
  const seen = new Map<number, number>();
  const expectedCells = TRACKS_COLUMNS.length + 1;
  const record = opts.badValues === "record";

  // Rows are converted as they are read, so the cell strings of one row die young.
  forEachCsvRow(text, file, (row, line) => {
    if (header.length < 3) {
      header.push(row);
      headerLines.push(line);
      if (header.length === 3) checkTracksHeader(header, headerLines, file);
      return;
    }
    if (row.length !== expectedCells) {
      throw new InputError(file, `expected ${expectedCells} cells (track_id + 52 columns), got ${row.length}`, { line });
    }
    if (!/^\d+$/.test(row[0])) {
      throw new InputError(file, `bad track id ${JSON.stringify(row[0])}: expected a positive integer`, {
        line,
        column: "track_id",
      });
    }
    const trackId = Number(row[0]);
    const firstLine = seen.get(trackId);
    if (firstLine !== undefined) {
      throw new InputError(file, `duplicate track id ${trackId} (first on line ${firstLine})`, { line, column: "track_id" });
    }
    seen.set(trackId, line);

    const values: Record<string, TrackValue> = { ...VALUES_TEMPLATE };
    for (let c = 0; c < COLUMN_COUNT; c++) {
      const name = TRACK_COLUMN_NAMES[c];
      try {
        values[name] = parseCell(row[c + 1], COLUMN_KINDS[c], name, file, line, trackId, opts.genres);
      } catch (err) {
        if (!record || !(err instanceof InputError)) throw err;
        problems.push(err);
        values[name] = null;
      }
    }
    records.push(toRecord(trackId, values));
  });
  if (header.length < 3) checkTracksHeader(header, headerLines, file);
  return new TrackTable(file, records, problems);
}

/** Read and parse a tracks.csv file (the real one is ~260 MB: a few seconds, ~1-2 GB of memory). */
export function loadTracks(file: string, opts: ParseTracksOptions = {}): TrackTable {
  return parseTracksCsv(readTextFileStrict(file), file, opts);
}

function checkTracksHeader(rows: string[][], lines: number[], file: string): void {
  const expected = tracksCsvHeaderRows();
  const what = ["group", "column", "index"];
  for (let h = 0; h < 3; h++) {
    const row = rows[h];
    const line = lines[h] ?? (h === 0 ? 1 : (lines[h - 1] ?? h) + 1);
    if (!row) throw new InputError(file, `missing header row ${h + 1} of 3 (the ${what[h]} row)`, { line });
    for (let c = 0; c < Math.max(row.length, expected[h].length); c++) {
      if (row[c] === expected[h][c]) continue;
      const name = c === 0 ? "track_id" : c <= TRACKS_COLUMNS.length ? TRACK_COLUMN_NAMES[c - 1] : `#${c + 1}`;
      const exp = expected[h][c];
      const got = row[c];
      // Show the flat name ("track.genre") when the column row is wrong, the raw cell otherwise.
      const show = (cell: string | undefined, group: string | undefined) =>
        cell === undefined ? "end of row" : h === 1 && group !== undefined && cell !== "" ? `\`${group}.${cell}\`` : `\`${cell}\``;
      const group = c > 0 ? rows[0]?.[c] : undefined;
      throw new InputError(
        file,
        `bad header (${what[h]} row): expected ${exp === undefined ? "no more columns" : show(exp, group)} got ${show(got, group)}` +
          ` at cell ${c + 1} (${row.length} cells, expected ${expected[h].length})`,
        { line, column: name },
      );
    }
  }
}

const INT_RE = /^-?\d+(\.0*)?$/; // pandas writes an int column holding NaN as floats: "3.0"
const FLOAT_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?)?)?$/;

function parseCell(
  text: string,
  kind: ColumnKind,
  name: string,
  file: string,
  line: number,
  trackId: number,
  genres: GenreTree | undefined,
): TrackValue {
  if (text === "") return null;
  switch (kind) {
    case "string":
      return detachString(text);
    case "int": {
      if (!INT_RE.test(text)) badCell(file, line, name, trackId, `expected an integer, got ${JSON.stringify(text)}`);
      return Number(text.split(".")[0]);
    }
    case "float": {
      if (!FLOAT_RE.test(text)) badCell(file, line, name, trackId, `expected a number, got ${JSON.stringify(text)}`);
      return Number(text);
    }
    case "date":
      return parseFmaDate(text) ?? badCell(file, line, name, trackId, `expected a date like 2008-11-26 01:44:45, got ${JSON.stringify(text)}`);
    case "category":
      if (name === "set.split" && !(SPLITS as readonly string[]).includes(text)) {
        badCell(file, line, name, trackId, `unknown split ${JSON.stringify(text)}; expected one of ${SPLITS.join(", ")}`);
      }
      if (name === "set.subset" && !(SUBSETS as readonly string[]).includes(text)) {
        badCell(file, line, name, trackId, `unknown subset ${JSON.stringify(text)}; expected one of ${SUBSETS.join(", ")}`);
      }
      if (name === "track.genre_top" && genres && !genres.rootByTitle(text)) {
        badCell(file, line, name, trackId, `genre_top ${JSON.stringify(text)} is not a top-level genre in genres.csv`);
      }
      return internCategory(text);
    case "list-int": {
      const list = parsePythonList(text, { file, line, column: name });
      for (const v of list) {
        if (typeof v !== "number" || !Number.isInteger(v)) badCell(file, line, name, trackId, `expected a list of integers, got ${JSON.stringify(text)}`);
        if (genres && !genres.has(v as number)) {
          badCell(file, line, name, trackId, `unknown genre id ${v} in ${name}; not in genres.csv`);
        }
      }
      return list as number[];
    }
    case "list-string": {
      const list = parsePythonList(text, { file, line, column: name });
      if (list.some((v) => typeof v !== "string")) badCell(file, line, name, trackId, `expected a list of strings, got ${JSON.stringify(text)}`);
      return list as string[];
    }
  }
}

// Cells are slices of the whole file's text, and V8 keeps that text alive as long as any slice lives
// (~0.5 GB for the real tracks.csv). Kept text is therefore copied out, and categories interned.
function detachString(s: string): string {
  return (" " + s).slice(1);
}

const CATEGORY_VALUES = new Map<string, string>();
function internCategory(s: string): string {
  let v = CATEGORY_VALUES.get(s);
  if (v === undefined) {
    v = detachString(s);
    if (CATEGORY_VALUES.size < 10000) CATEGORY_VALUES.set(v, v);
  }
  return v;
}

function badCell(file: string, line: number, name: string, trackId: number, problem: string): never {
  throw new InputError(file, `track ${trackId}: ${problem}`, { line, column: name });
}

/** Parse FMA's date text ("2008-11-26 01:44:45", "2009-01-05", "1990") as a UTC Date; null if malformed. */
export function parseFmaDate(text: string): Date | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = m[2] === undefined ? 1 : Number(m[2]);
  const d = m[3] === undefined ? 1 : Number(m[3]);
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCDate() !== d) return null; // e.g. 2009-02-30
  return date;
}

/** FMA's text for a date: "YYYY-MM-DD HH:MM:SS" (UTC). */
export function formatFmaDate(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${p(date.getUTCFullYear(), 4)}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`
  );
}

function toRecord(trackId: number, values: Record<string, TrackValue>): TrackRecord {
  const str = (k: string) => values[k] as string | null;
  const num = (k: string) => values[k] as number | null;
  return {
    trackId,
    split: values["set.split"] as Split | null,
    subset: values["set.subset"] as Subset | null,
    genreTop: str("track.genre_top"),
    genres: (values["track.genres"] as number[] | null) ?? [],
    genresAll: (values["track.genres_all"] as number[] | null) ?? [],
    title: str("track.title"),
    artistName: str("artist.name"),
    albumTitle: str("album.title"),
    duration: num("track.duration"),
    bitRate: num("track.bit_rate"),
    values,
  };
}

/** A cell as tracks.csv text (lists as Python literals, dates as "YYYY-MM-DD HH:MM:SS", null → ""). */
export function formatTrackValue(value: TrackValue): string {
  if (value === null) return "";
  if (value instanceof Date) return formatFmaDate(value);
  if (Array.isArray(value)) return formatPythonList(value);
  return String(value);
}

/** One tracks.csv data row (no line terminator) from a track id and its flat-name values. */
export function formatTrackRow(trackId: number, values: Record<string, TrackValue | undefined>): string {
  return formatCsvRow([trackId, ...TRACK_COLUMN_NAMES.map((n) => formatTrackValue(values[n] ?? null))]);
}

/** The parsed tracks, with selections by subset/split and a DataFrame view. */
export class TrackTable {
  readonly file: string;
  readonly records: TrackRecord[];
  /** Bad cells turned into null when loaded with badValues: "record" (empty otherwise). */
  readonly problems: InputError[];
  private index: Map<number, TrackRecord> | null = null;

  constructor(file: string, records: TrackRecord[], problems: InputError[] = []) {
    this.file = file;
    this.records = records;
    this.problems = problems;
  }

  get size(): number {
    return this.records.length;
  }

  /** The track with this id, or undefined. */
  byId(trackId: number): TrackRecord | undefined {
    if (!this.index) this.index = new Map(this.records.map((r) => [r.trackId, r]));
    return this.index.get(trackId);
  }

  /** Tracks in FMA subset `s`, which contains the smaller ones: subset("medium") includes small's tracks. */
  subset(s: Subset): TrackTable {
    const limit = SUBSETS.indexOf(s);
    if (limit < 0) throw new Error(`unknown subset "${s}"; expected one of ${SUBSETS.join(", ")}`);
    return this.filter((r) => r.subset !== null && SUBSETS.indexOf(r.subset) <= limit);
  }

  /** Tracks of split `s` (training / validation / test). */
  split(s: Split): TrackTable {
    if (!SPLITS.includes(s)) throw new Error(`unknown split "${s}"; expected one of ${SPLITS.join(", ")}`);
    return this.filter((r) => r.split === s);
  }

  /** A table of the records passing `keep` (same file, problems kept). */
  filter(keep: (r: TrackRecord) => boolean): TrackTable {
    return new TrackTable(this.file, this.records.filter(keep), this.problems);
  }

  trackIds(): number[] {
    return this.records.map((r) => r.trackId);
  }

  /** Tracks per genre_top, most first (ties by title, null last); tracks without genre_top count under null. */
  genreCounts(): Array<{ genre: string | null; count: number }> {
    const counts = new Map<string | null, number>();
    for (const r of this.records) counts.set(r.genreTop, (counts.get(r.genreTop) ?? 0) + 1);
    return [...counts]
      .map(([genre, count]) => ({ genre, count }))
      .sort((a, b) => b.count - a.count || compareGenreTitles(a.genre, b.genre));
  }

  /**
   * A danfojs DataFrame: "track_id" then the requested flat columns (default all 52). Ints are int32,
   * floats float32 (missing → NaN), text/categories string, lists as FMA's text ("[12, 45]"), dates as
   * ISO strings; missing text → null. danfojs (and tfjs) load only here, on first use.
   */
  toDataFrame(columns: readonly string[] = TRACK_COLUMN_NAMES): DataFrame {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const dfd = require("danfojs-node") as typeof import("danfojs-node");
    const data: Record<string, Array<string | number | null>> = { track_id: this.records.map((r) => r.trackId) };
    const dtypes: string[] = ["int32"];
    for (const name of columns) {
      if (name === "track_id") continue;
      const kind = trackColumnKind(name);
      const hasMissingInt = kind === "int" && this.records.some((r) => r.values[name] === null);
      data[name] = this.records.map((r) => dataFrameCell(r.values[name], kind));
      // danfojs keeps null in int32 columns but computes on them as 0: use float32 + NaN instead.
      dtypes.push(kind === "int" ? (hasMissingInt ? "float32" : "int32") : kind === "float" ? "float32" : "string");
    }
    if (this.records.length === 0) {
      return new dfd.DataFrame([], { columns: Object.keys(data) });
    }
    return new dfd.DataFrame(data, { dtypes });
  }
}

/** Titles in code-point order, null (no genre_top) last. */
function compareGenreTitles(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function dataFrameCell(value: TrackValue, kind: ColumnKind): string | number | null {
  if (kind === "int" || kind === "float") return value === null ? NaN : (value as number);
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return formatPythonList(value);
  return value as string;
}

/** Titles of a track's genres_all (e.g. ["Rock", "Loud-Rock", "Noise-Rock"]), in id order. */
export function genresAllTitles(record: TrackRecord, tree: GenreTree): string[] {
  return record.genresAll.map((id) => tree.title(id));
}

/** `<audioDir>/000/000002.mp3`: FMA's nested clip path (6-digit id, folder = its first 3 digits). */
export function audioPath(audioDir: string, trackId: number): string {
  const id = trackIdText(trackId);
  return path.join(audioDir, id.slice(0, 3), `${id}.mp3`);
}

/** `<audioDir>/000002.mp3`: the flat layout of ../shared/fma-sample/audio. */
export function flatAudioPath(audioDir: string, trackId: number): string {
  return path.join(audioDir, `${trackIdText(trackId)}.mp3`);
}

function trackIdText(trackId: number): string {
  if (!Number.isInteger(trackId) || trackId < 0 || trackId > 999999) {
    throw new Error(`track id must be an integer in 0..999999, got ${trackId}`);
  }
  return String(trackId).padStart(6, "0");
}

/** The track id of a clip path like ".../133/133297.mp3" (or "133297.mp3"); throws if the name is not NNNNNN.mp3. */
export function trackIdFromAudioPath(p: string): number {
  const m = /^(\d{6})\.mp3$/i.exec(path.basename(p));
  if (!m) throw new Error(`not an FMA clip name (expected NNNNNN.mp3): ${p}`);
  return Number(m[1]);
}
