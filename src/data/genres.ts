// genres.csv: FMA's 163-genre hierarchy (genre_id, #tracks, parent, title, top_level).
import { InputError } from "../util/errors";
import { readTextFileStrict } from "../util/text";
import { parseCsv } from "./csv";
import { GENRES_HEADER } from "./schema";

export interface Genre {
  id: number;
  /** `#tracks`: tracks tagged with this genre or a descendant, in fma_full. */
  tracks: number;
  /** Parent genre id, or null for a root (0 in the file). */
  parent: number | null;
  title: string;
  /** The root of this genre's branch (itself for a root). */
  topLevel: number;
}

/** The genre hierarchy, with look-ups by id. Built by parseGenresCsv / loadGenres. */
export class GenreTree {
  readonly genres: Genre[];
  private readonly byId: Map<number, Genre>;
  private readonly childrenOf: Map<number, Genre[]>;
  private readonly rootsByTitle: Map<string, Genre>;

  constructor(genres: Genre[]) {
    this.genres = [...genres].sort((a, b) => a.id - b.id);
    this.byId = new Map(this.genres.map((g) => [g.id, g]));
    this.childrenOf = new Map();
    for (const g of this.genres) {
      if (g.parent === null) continue;
      const list = this.childrenOf.get(g.parent) ?? [];
      list.push(g);
      this.childrenOf.set(g.parent, list);
    }
    this.rootsByTitle = new Map(this.genres.filter((g) => g.parent === null).map((g) => [g.title, g]));
  }

  get size(): number {
    return this.genres.length;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** The genre with this id; throws naming the id when it is not in genres.csv. */
  get(id: number): Genre {
    const g = this.byId.get(id);
    if (!g) throw new Error(`unknown genre id ${id}: not in genres.csv (${this.genres.length} genres)`);
    return g;
  }

  title(id: number): string {
    return this.get(id).title;
  }

  parentOf(id: number): number | null {
    return this.get(id).parent;
  }

  /** Ancestor ids, nearest first, excluding `id` itself (empty for a root). */
  ancestors(id: number): number[] {
    const out: number[] = [];
    let p = this.get(id).parent;
    while (p !== null) {
      out.push(p);
      p = this.get(p).parent;
    }
    return out;
  }

  /** The root genre id of `id`'s branch. */
  topLevelOf(id: number): number {
    return this.get(id).topLevel;
  }

  /** Root genres (parent 0), by id. */
  roots(): Genre[] {
    return this.genres.filter((g) => g.parent === null);
  }

  /** Direct children of `id`, by id. */
  children(id: number): Genre[] {
    this.get(id);
    return [...(this.childrenOf.get(id) ?? [])];
  }

  /** `ids` plus all their ancestors, deduplicated and sorted ascending: FMA's genres_all. */
  withAncestors(ids: Iterable<number>): number[] {
    const all = new Set<number>();
    for (const id of ids) {
      all.add(id);
      for (const a of this.ancestors(id)) all.add(a);
    }
    return [...all].sort((a, b) => a - b);
  }

  /** Titles of the 16 root genres, alphabetical. */
  topLevelTitles(): string[] {
    return this.roots()
      .map((g) => g.title)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The root genre titled `title` (e.g. a genre_top value), or undefined. */
  rootByTitle(title: string): Genre | undefined {
    return this.rootsByTitle.get(title);
  }
}

/**
 * Parse genres.csv text. Checks the header exactly, integer columns, unknown parents, parent cycles
 * and that top_level is the root of each branch; each problem is an InputError with line and column.
 */
export function parseGenresCsv(text: string, file: string): GenreTree {
  const { rows, lines } = parseCsv(text, file);
  if (rows.length === 0) throw new InputError(file, "empty file: expected the genres.csv header", { line: 1 });
  const header = rows[0];
  for (let c = 0; c < Math.max(header.length, GENRES_HEADER.length); c++) {
    if (header[c] !== GENRES_HEADER[c]) {
      throw new InputError(
        file,
        `bad header: expected ${GENRES_HEADER[c] === undefined ? "no more columns" : `\`${GENRES_HEADER[c]}\``}` +
          ` got ${header[c] === undefined ? "end of row" : `\`${header[c]}\``} (header must be ${GENRES_HEADER.join(",")})`,
        { line: lines[0], column: GENRES_HEADER[c] ?? c + 1 },
      );
    }
  }

  const genres: Genre[] = [];
  const lineOf = new Map<number, number>();
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const line = lines[r];
    if (row.length !== GENRES_HEADER.length) {
      throw new InputError(file, `expected ${GENRES_HEADER.length} cells, got ${row.length}`, { line });
    }
    const int = (c: number): number => {
      const s = row[c];
      if (!/^-?\d+$/.test(s)) {
        throw new InputError(file, `expected an integer, got ${JSON.stringify(s)}`, { line, column: GENRES_HEADER[c] });
      }
      return Number(s);
    };
    const id = int(0);
    if (lineOf.has(id)) {
      throw new InputError(file, `duplicate genre_id ${id} (first on line ${lineOf.get(id)})`, {
        line,
        column: "genre_id",
      });
    }
    lineOf.set(id, line);
    const parent = int(2);
    genres.push({ id, tracks: int(1), parent: parent === 0 ? null : parent, title: row[3], topLevel: int(4) });
  }

  const ids = new Set(genres.map((g) => g.id));
  for (const g of genres) {
    const where = { line: lineOf.get(g.id) };
    if (g.parent !== null && !ids.has(g.parent)) {
      throw new InputError(file, `genre ${g.id} has unknown parent ${g.parent}`, { ...where, column: "parent" });
    }
  }
  const tree = new GenreTree(genres);
  for (const g of genres) {
    const where = { line: lineOf.get(g.id) };
    // Walk to the root, catching cycles.
    let root = g;
    const seen = new Set<number>([g.id]);
    while (root.parent !== null) {
      root = tree.get(root.parent);
      if (seen.has(root.id)) {
        throw new InputError(file, `genre ${g.id}'s parents form a cycle`, { ...where, column: "parent" });
      }
      seen.add(root.id);
    }
    if (g.topLevel !== root.id) {
      throw new InputError(file, `genre ${g.id}: top_level is ${g.topLevel} but its root is ${root.id}`, {
        ...where,
        column: "top_level",
      });
    }
  }
  return tree;
}

/** Read and parse a genres.csv file. */
export function loadGenres(path: string): GenreTree {
  return parseGenresCsv(readTextFileStrict(path), path);
}
