// Pronounceable made-up names for synthetic artists, albums and tracks (syllable based).
import type { Rng } from "../../util/random";

const ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kl", "l", "m", "n", "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z"];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
const CODAS = ["", "", "", "n", "r", "l", "s", "th", "m", "x", "nd", "sk"];
const WORDS = [
  "Blue", "Night", "Glass", "River", "Static", "Garden", "Echo", "Paper", "Iron", "Summer", "Ghost", "Velvet",
  "Signal", "Hollow", "Golden", "Winter", "Electric", "Silver", "Machine", "Ocean", "Desert", "Lantern", "Shadow",
  "Morning", "Fever", "Wire", "Stone", "Light", "Dream", "Thunder", "Orchid", "Harbor", "Neon", "Mirror", "Smoke",
];

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One made-up word of 1–3 syllables. */
export function madeUpWord(rng: Rng): string {
  const syllables = rng.int(1, 3);
  let w = "";
  for (let i = 0; i < syllables; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + (i === syllables - 1 ? rng.pick(CODAS) : "");
  return cap(w);
}

export function artistName(rng: Rng): string {
  const r = rng.next();
  if (r < 0.3) return `${madeUpWord(rng)} ${madeUpWord(rng)}`;
  if (r < 0.5) return `The ${madeUpWord(rng)} ${rng.pick(["Band", "Collective", "Quartet", "Brothers", "Ensemble", "Orchestra"])}`;
  if (r < 0.6) return `${madeUpWord(rng)}'s ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  if (r < 0.7) return `${madeUpWord(rng)}, ${madeUpWord(rng)} & ${madeUpWord(rng)}`;
  if (r < 0.8) return `DJ ${madeUpWord(rng)}`;
  return madeUpWord(rng);
}

export function titleText(rng: Rng): string {
  const r = rng.next();
  if (r < 0.35) return `${rng.pick(WORDS)} ${madeUpWord(rng)}`;
  if (r < 0.55) return `${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  if (r < 0.65) return `The ${rng.pick(WORDS)} of ${madeUpWord(rng)}`;
  if (r < 0.72) return `"${rng.pick(WORDS)}" ${rng.pick(WORDS)}`; // quotes inside a field
  if (r < 0.8) return `${rng.pick(WORDS)}, ${rng.pick(WORDS)}`; // a comma inside a field
  if (r < 0.86) return `${rng.pick(WORDS)} ${rng.int(1, 99)}`;
  return madeUpWord(rng);
}

/** FMA-like free text: HTML paragraphs, sometimes with quotes, commas and line breaks. */
export function freeText(rng: Rng, subject: string): string {
  const sentences = [
    `${subject} was recorded in a ${rng.pick(["basement", "church", "garage", "kitchen", "studio"])}, mostly live.`,
    `Thanks to "${madeUpWord(rng)}" for the ${rng.pick(["tape machine", "synths", "drums", "coffee"])}.`,
    `Released under a Creative Commons license; share it, remix it.`,
    `Mixed by ${madeUpWord(rng)} ${madeUpWord(rng)} in ${rng.int(1998, 2016)}.`,
  ];
  const k = rng.int(1, 3);
  const paras: string[] = [];
  for (let i = 0; i < k; i++) paras.push(`<p>${rng.pick(sentences)}</p>`);
  return paras.join(rng.next() < 0.5 ? "\n" : "\r\n");
}
