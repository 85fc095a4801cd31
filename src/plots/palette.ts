// The fixed 8-genre palette shared by the static (Observable Plot) and interactive (plotly) figures.

/**
 * One colour per fma_small top genre, the same in every figure (static and plotly), whatever subset of
 * genres a figure shows: Tableau 10 minus its grey and brown, so no two genres share a hue family.
 */
export const GENRE_PALETTE: Readonly<Record<string, string>> = {
  Electronic: "#4e79a7",
  Experimental: "#f28e2c",
  Folk: "#59a14f",
  "Hip-Hop": "#e15759",
  Instrumental: "#76b7b2",
  International: "#edc949",
  Pop: "#ff9da7",
  Rock: "#af7aa1",
};

/** Genre colours: GENRE_PALETTE for the 8 top genres, other names from the remaining Tableau colours. */
export function genreColours(names: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)].sort();
  const spare = ["#9c755f", "#bab0ab", "#1f77b4", "#17becf", "#8c564b", "#7f7f7f"];
  let next = 0;
  return { domain, range: domain.map((g) => GENRE_PALETTE[g] ?? spare[next++ % spare.length]) };
}

