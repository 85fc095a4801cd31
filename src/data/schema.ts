// The exact column layout of FMA's tracks.csv and genres.csv (fma_metadata), shared by the loader and
// the synthetic-dataset writer so both speak the real format. Source: mdeff/fma utils.py and README.

export type ColumnKind = "int" | "float" | "string" | "date" | "list-int" | "list-string" | "category";

/** [group, column, kind] in file order, after the leading track_id column. 52 columns. */
export const TRACKS_COLUMNS: ReadonlyArray<readonly [string, string, ColumnKind]> = [
  ["album", "comments", "int"],
  ["album", "date_created", "date"],
  ["album", "date_released", "date"],
  ["album", "engineer", "string"],
  ["album", "favorites", "int"],
  ["album", "id", "int"],
  ["album", "information", "string"],
  ["album", "listens", "int"],
  ["album", "producer", "string"],
  ["album", "tags", "list-string"],
  ["album", "title", "string"],
  ["album", "tracks", "int"],
  ["album", "type", "category"],
  ["artist", "active_year_begin", "date"],
  ["artist", "active_year_end", "date"],
  ["artist", "associated_labels", "string"],
  ["artist", "bio", "string"],
  ["artist", "comments", "int"],
  ["artist", "date_created", "date"],
  ["artist", "favorites", "int"],
  ["artist", "id", "int"],
  ["artist", "latitude", "float"],
  ["artist", "location", "string"],
  ["artist", "longitude", "float"],
  ["artist", "members", "string"],
  ["artist", "name", "string"],
  ["artist", "related_projects", "string"],
  ["artist", "tags", "list-string"],
  ["artist", "website", "string"],
  ["artist", "wikipedia_page", "string"],
  ["set", "split", "category"],
  ["set", "subset", "category"],
  ["track", "bit_rate", "int"],
  ["track", "comments", "int"],
  ["track", "composer", "string"],
  ["track", "date_created", "date"],
  ["track", "date_recorded", "date"],
  ["track", "duration", "float"],
  ["track", "favorites", "int"],
  ["track", "genre_top", "category"],
  ["track", "genres", "list-int"],
  ["track", "genres_all", "list-int"],
  ["track", "information", "string"],
  ["track", "interest", "int"],
  ["track", "language_code", "string"],
  ["track", "license", "category"],
  ["track", "listens", "int"],
  ["track", "lyricist", "string"],
  ["track", "number", "int"],
  ["track", "publisher", "string"],
  ["track", "tags", "list-string"],
  ["track", "title", "string"],
];

/** Flat column name used in our DataFrames: "group.column", e.g. "track.genre_top". */
export function flatColumnName(group: string, column: string): string {
  return `${group}.${column}`;
}

/** The header of genres.csv. */
export const GENRES_HEADER = ["genre_id", "#tracks", "parent", "title", "top_level"] as const;

/** Subsets in their containment order: small ⊂ medium ⊂ large. */
export const SUBSETS = ["small", "medium", "large"] as const;
export type Subset = (typeof SUBSETS)[number];

export const SPLITS = ["training", "validation", "test"] as const;
export type Split = (typeof SPLITS)[number];

/** fma_small's 8 top genres (alphabetical, the order the seed's class indices use). */
export const FMA_SMALL_GENRES = [
  "Electronic",
  "Experimental",
  "Folk",
  "Hip-Hop",
  "Instrumental",
  "International",
  "Pop",
  "Rock",
] as const;

/**
 * Known-bad fma_small clips (mdeff/fma issues #8, #44 and the errata), in one place.
 * `no-audio`: decoders fail on them. `short`: far shorter than 30 s.
 */
export const KNOWN_BAD_CLIPS: ReadonlyArray<{ trackId: number; problem: "no-audio" | "short"; note: string }> = [
  { trackId: 99134, problem: "no-audio", note: "no audio frames: decoders fail (mdeff/fma #8)" },
  { trackId: 108925, problem: "no-audio", note: "no audio frames: decoders fail (mdeff/fma #8)" },
  { trackId: 133297, problem: "no-audio", note: "no audio frames: decoders fail (mdeff/fma #8)" },
  { trackId: 98565, problem: "short", note: "clip far shorter than 30 s (mdeff/fma #44)" },
  { trackId: 98567, problem: "short", note: "clip far shorter than 30 s (mdeff/fma #44)" },
  { trackId: 98569, problem: "short", note: "clip far shorter than 30 s (mdeff/fma #44)" },
];
