// Genre "families" of synthetic musical textures. Each fma_small top genre is a distribution over
// tempo, rhythm, timbre, scale, noise and effects; subgenres shift it; a track draws one texture from
// its family. Ranges deliberately overlap between genres (Pop/Rock/Electronic tempos, Folk/Instrumental
// without drums, ...) and ~15% of tracks borrow parts of another genre's texture, so the labels are
// learnable from audio but not trivially.
import { Rng } from "../../util/random";

export type Range = readonly [number, number];
/** Weighted choices: option → relative weight. */
export type Choice<T extends string> = Readonly<Partial<Record<T, number>>>;

export const SCALES = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
  harmonicMinor: [0, 2, 3, 5, 7, 8, 11],
  pentatonicMajor: [0, 2, 4, 7, 9],
  pentatonicMinor: [0, 3, 5, 7, 10],
  blues: [0, 3, 5, 6, 7, 10],
  hijaz: [0, 1, 4, 5, 7, 8, 10], // maqam Hijaz / phrygian dominant, in 12-TET
  bhairav: [0, 1, 4, 5, 7, 8, 11],
  inSen: [0, 1, 5, 7, 10],
  wholeTone: [0, 2, 4, 6, 8, 10],
  chromatic: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
} as const;
export type ScaleName = keyof typeof SCALES;

/** Chord roots as scale degrees, one per bar (cycled). "random" draws degrees per bar. */
export const PROGRESSIONS = {
  "I-V-vi-IV": [0, 4, 5, 3],
  "I-IV-V-IV": [0, 3, 4, 3],
  "i-VI-III-VII": [0, 5, 2, 6],
  "i-VII-VI-VII": [0, 6, 5, 6],
  "i-iv": [0, 3],
  "ii-V-I-I": [1, 4, 0, 0],
  static: [0],
  random: [],
} as const;
export type ProgressionName = keyof typeof PROGRESSIONS;

export type DrumStyle =
  | "none"
  | "four-on-floor"
  | "boom-bap"
  | "backbeat"
  | "halftime"
  | "breakbeat"
  | "sparse"
  | "irregular"
  | "hand-percussion"
  | "shaker";
export type BassStyle = "none" | "sub" | "offbeat" | "eighths" | "roots" | "walking" | "drone";
export type BassWave = "sine" | "saw" | "square";
export type HarmonyStyle = "none" | "pad" | "strum" | "piano" | "epiano" | "power" | "organ" | "drone" | "cluster";
export type LeadStyle = "none" | "pluck" | "piano" | "bell" | "voice" | "square" | "saw" | "reed" | "inharmonic" | "sine";

/** A genre family: the distribution textures are drawn from. */
export interface FamilySpec {
  bpm: Range;
  swing: Range; // fraction of a 16th the off-16ths are delayed
  triple: number; // probability of 3 beats per bar
  scales: Choice<ScaleName>;
  progressions: Choice<ProgressionName>;
  drums: Choice<DrumStyle>;
  drumLevel: Range;
  drumDensity: Range; // probability of extra ghost hits
  bass: Choice<BassStyle>;
  bassWave: Choice<BassWave>;
  bassLevel: Range;
  harmony: Choice<HarmonyStyle>;
  harmonyLevel: Range;
  lead: Choice<LeadStyle>;
  leadLevel: Range;
  leadDensity: Range; // probability of a note on a 16th step
  leadRegister: Range; // MIDI note around which the lead moves
  noiseLevel: Range;
  noiseColor: Range; // 0 white … 1 brown
  burstRate: Range; // noise bursts per second
  glitchRate: Range; // stutter/bitcrush events per second
  crackle: Range; // vinyl crackle amount
  drive: Range; // 0 clean … 1 heavy distortion
  reverbMix: Range;
  reverbSize: Range; // 0.3 room … 1 hall
  sweepDepth: Range; // filter sweep depth (octaves)
  brightness: Range; // master low-pass cutoff, Hz
}

const W = <T extends string>(c: Choice<T>) => c;

export const GENRE_FAMILIES: Readonly<Record<string, FamilySpec>> = {
  Electronic: {
    bpm: [112, 142],
    swing: [0, 0.08],
    triple: 0,
    scales: W({ minor: 3, dorian: 2, phrygian: 1, pentatonicMinor: 1 }),
    progressions: W({ "i-VI-III-VII": 2, "i-iv": 2, static: 2, "i-VII-VI-VII": 1 }),
    drums: W({ "four-on-floor": 6, breakbeat: 1, halftime: 1, none: 0.5 }),
    drumLevel: [0.7, 1.0],
    drumDensity: [0.05, 0.3],
    bass: W({ offbeat: 3, eighths: 2, sub: 1 }),
    bassWave: W({ saw: 3, square: 2, sine: 1 }),
    bassLevel: [0.5, 0.8],
    harmony: W({ pad: 4, epiano: 1, none: 1 }),
    harmonyLevel: [0.25, 0.5],
    lead: W({ square: 3, bell: 2, saw: 2, none: 1 }),
    leadLevel: [0.25, 0.5],
    leadDensity: [0.3, 0.8],
    leadRegister: [67, 84],
    noiseLevel: [0, 0.03],
    noiseColor: [0, 0.5],
    burstRate: [0, 0.1],
    glitchRate: [0, 0.15],
    crackle: [0, 0],
    drive: [0, 0.3],
    reverbMix: [0.1, 0.35],
    reverbSize: [0.4, 0.8],
    sweepDepth: [0.5, 2.5],
    brightness: [6000, 14000],
  },
  Experimental: {
    bpm: [55, 150],
    swing: [0, 0.3],
    triple: 0.2,
    scales: W({ chromatic: 3, wholeTone: 2, phrygian: 1, hijaz: 0.5 }),
    progressions: W({ random: 3, static: 2 }),
    drums: W({ none: 5, irregular: 3, sparse: 1 }),
    drumLevel: [0.3, 0.8],
    drumDensity: [0.1, 0.6],
    bass: W({ none: 3, drone: 2, sub: 1 }),
    bassWave: W({ sine: 2, saw: 1, square: 1 }),
    bassLevel: [0.3, 0.7],
    harmony: W({ cluster: 3, drone: 3, pad: 1, none: 1 }),
    harmonyLevel: [0.2, 0.6],
    lead: W({ inharmonic: 4, sine: 1, none: 2, bell: 1 }),
    leadLevel: [0.2, 0.6],
    leadDensity: [0.03, 0.35],
    leadRegister: [48, 90],
    noiseLevel: [0.02, 0.2],
    noiseColor: [0, 1],
    burstRate: [0.1, 1.2],
    glitchRate: [0.1, 1.5],
    crackle: [0, 0.3],
    drive: [0, 0.8],
    reverbMix: [0.2, 0.6],
    reverbSize: [0.6, 1],
    sweepDepth: [0, 3],
    brightness: [3000, 16000],
  },
  Folk: {
    bpm: [72, 124],
    swing: [0, 0.15],
    triple: 0.3,
    scales: W({ major: 4, mixolydian: 2, pentatonicMajor: 2, dorian: 1, minor: 1 }),
    progressions: W({ "I-IV-V-IV": 3, "I-V-vi-IV": 2, "ii-V-I-I": 1, "i-VII-VI-VII": 1 }),
    drums: W({ none: 5, shaker: 2, sparse: 2 }),
    drumLevel: [0.2, 0.5],
    drumDensity: [0, 0.2],
    bass: W({ none: 2, roots: 3, walking: 1 }),
    bassWave: W({ sine: 3, saw: 1 }),
    bassLevel: [0.3, 0.6],
    harmony: W({ strum: 7, piano: 1, organ: 1 }),
    harmonyLevel: [0.45, 0.75],
    lead: W({ pluck: 4, voice: 2, reed: 1, none: 1 }),
    leadLevel: [0.25, 0.55],
    leadDensity: [0.15, 0.5],
    leadRegister: [60, 76],
    noiseLevel: [0, 0.02],
    noiseColor: [0.3, 1],
    burstRate: [0, 0],
    glitchRate: [0, 0],
    crackle: [0, 0.1],
    drive: [0, 0.05],
    reverbMix: [0.1, 0.3],
    reverbSize: [0.3, 0.7],
    sweepDepth: [0, 0.3],
    brightness: [5000, 11000],
  },
  "Hip-Hop": {
    bpm: [78, 102],
    swing: [0.08, 0.3],
    triple: 0,
    scales: W({ minor: 3, dorian: 2, blues: 2, pentatonicMinor: 1 }),
    progressions: W({ "i-iv": 3, static: 2, "i-VI-III-VII": 1, "ii-V-I-I": 1 }),
    drums: W({ "boom-bap": 6, halftime: 2, breakbeat: 1 }),
    drumLevel: [0.8, 1.0],
    drumDensity: [0.1, 0.4],
    bass: W({ sub: 5, roots: 1, offbeat: 1 }),
    bassWave: W({ sine: 5, square: 1 }),
    bassLevel: [0.6, 0.9],
    harmony: W({ epiano: 3, piano: 2, pad: 1, none: 1 }),
    harmonyLevel: [0.25, 0.5],
    lead: W({ none: 3, bell: 1, sine: 1, voice: 1, square: 1 }),
    leadLevel: [0.15, 0.4],
    leadDensity: [0.05, 0.3],
    leadRegister: [62, 79],
    noiseLevel: [0, 0.03],
    noiseColor: [0.3, 0.8],
    burstRate: [0, 0.05],
    glitchRate: [0, 0.1],
    crackle: [0.1, 0.7],
    drive: [0, 0.25],
    reverbMix: [0.05, 0.2],
    reverbSize: [0.3, 0.6],
    sweepDepth: [0, 0.5],
    brightness: [3500, 9000],
  },
  Instrumental: {
    bpm: [58, 112],
    swing: [0, 0.1],
    triple: 0.3,
    scales: W({ major: 3, minor: 3, harmonicMinor: 1, dorian: 1 }),
    progressions: W({ "I-V-vi-IV": 2, "i-VI-III-VII": 2, "ii-V-I-I": 1, "I-IV-V-IV": 1 }),
    drums: W({ none: 5, sparse: 2, backbeat: 1 }),
    drumLevel: [0.2, 0.5],
    drumDensity: [0, 0.15],
    bass: W({ none: 2, roots: 2, drone: 1 }),
    bassWave: W({ sine: 3, saw: 1 }),
    bassLevel: [0.25, 0.5],
    harmony: W({ piano: 4, pad: 3, organ: 1 }),
    harmonyLevel: [0.35, 0.65],
    lead: W({ piano: 4, sine: 1, bell: 1, reed: 1 }),
    leadLevel: [0.3, 0.6],
    leadDensity: [0.2, 0.55],
    leadRegister: [62, 84],
    noiseLevel: [0, 0.01],
    noiseColor: [0.3, 1],
    burstRate: [0, 0],
    glitchRate: [0, 0],
    crackle: [0, 0.05],
    drive: [0, 0.05],
    reverbMix: [0.2, 0.45],
    reverbSize: [0.5, 0.95],
    sweepDepth: [0, 0.5],
    brightness: [5000, 12000],
  },
  International: {
    bpm: [84, 136],
    swing: [0, 0.2],
    triple: 0.35,
    scales: W({ hijaz: 3, bhairav: 2, pentatonicMajor: 2, inSen: 1, phrygian: 1, harmonicMinor: 1 }),
    progressions: W({ static: 4, "i-iv": 1, "I-IV-V-IV": 1 }),
    drums: W({ "hand-percussion": 6, shaker: 1, none: 1 }),
    drumLevel: [0.5, 0.9],
    drumDensity: [0.1, 0.45],
    bass: W({ drone: 3, roots: 2, none: 1 }),
    bassWave: W({ sine: 2, saw: 1 }),
    bassLevel: [0.3, 0.6],
    harmony: W({ drone: 4, strum: 2, none: 1 }),
    harmonyLevel: [0.25, 0.5],
    lead: W({ reed: 3, pluck: 3, voice: 1 }),
    leadLevel: [0.35, 0.6],
    leadDensity: [0.3, 0.75],
    leadRegister: [60, 79],
    noiseLevel: [0, 0.02],
    noiseColor: [0.2, 0.8],
    burstRate: [0, 0],
    glitchRate: [0, 0],
    crackle: [0, 0.15],
    drive: [0, 0.1],
    reverbMix: [0.1, 0.35],
    reverbSize: [0.4, 0.8],
    sweepDepth: [0, 0.3],
    brightness: [5000, 12000],
  },
  Pop: {
    bpm: [92, 132],
    swing: [0, 0.1],
    triple: 0.05,
    scales: W({ major: 5, pentatonicMajor: 1, minor: 1, mixolydian: 1 }),
    progressions: W({ "I-V-vi-IV": 5, "I-IV-V-IV": 1, "i-VI-III-VII": 1 }),
    drums: W({ backbeat: 5, "four-on-floor": 2, halftime: 1 }),
    drumLevel: [0.6, 0.9],
    drumDensity: [0.05, 0.25],
    bass: W({ eighths: 2, roots: 3, offbeat: 1 }),
    bassWave: W({ sine: 2, square: 1, saw: 1 }),
    bassLevel: [0.45, 0.7],
    harmony: W({ pad: 2, epiano: 2, piano: 2, strum: 1 }),
    harmonyLevel: [0.25, 0.45],
    lead: W({ voice: 6, bell: 1, square: 1 }),
    leadLevel: [0.4, 0.7],
    leadDensity: [0.3, 0.65],
    leadRegister: [62, 77],
    noiseLevel: [0, 0.015],
    noiseColor: [0, 0.6],
    burstRate: [0, 0],
    glitchRate: [0, 0.05],
    crackle: [0, 0],
    drive: [0, 0.15],
    reverbMix: [0.1, 0.3],
    reverbSize: [0.4, 0.75],
    sweepDepth: [0, 0.8],
    brightness: [7000, 15000],
  },
  Rock: {
    bpm: [96, 168],
    swing: [0, 0.05],
    triple: 0.05,
    scales: W({ minor: 2, pentatonicMinor: 3, blues: 2, mixolydian: 1, major: 1 }),
    progressions: W({ "i-VII-VI-VII": 3, "I-IV-V-IV": 2, "I-V-vi-IV": 1, "i-iv": 1 }),
    drums: W({ backbeat: 7, halftime: 1, breakbeat: 1 }),
    drumLevel: [0.8, 1.0],
    drumDensity: [0.1, 0.35],
    bass: W({ eighths: 5, roots: 2 }),
    bassWave: W({ saw: 3, square: 1 }),
    bassLevel: [0.5, 0.75],
    harmony: W({ power: 7, strum: 1, organ: 1 }),
    harmonyLevel: [0.45, 0.75],
    lead: W({ saw: 3, none: 2, voice: 2 }),
    leadLevel: [0.2, 0.5],
    leadDensity: [0.2, 0.55],
    leadRegister: [60, 79],
    noiseLevel: [0.005, 0.05],
    noiseColor: [0, 0.6],
    burstRate: [0, 0.1],
    glitchRate: [0, 0],
    crackle: [0, 0],
    drive: [0.45, 0.9],
    reverbMix: [0.05, 0.25],
    reverbSize: [0.3, 0.6],
    sweepDepth: [0, 0.5],
    brightness: [5000, 13000],
  },
};

/**
 * How a subgenre (by its real FMA title) shifts its family: fields given here replace the family's.
 * Subgenres not listed get a small deterministic shift of tempo and brightness from their genre id.
 */
export const SUBGENRE_MODIFIERS: Readonly<Record<string, Partial<FamilySpec>>> = {
  // Electronic
  "Ambient Electronic": { bpm: [60, 96], drums: W({ none: 4, sparse: 1 }), harmony: W({ pad: 1 }), reverbMix: [0.35, 0.6], leadDensity: [0.05, 0.3] },
  Techno: { bpm: [125, 142], drums: W({ "four-on-floor": 1 }), progressions: W({ static: 1 }), harmony: W({ none: 2, pad: 1 }) },
  House: { bpm: [118, 128], drums: W({ "four-on-floor": 1 }), bass: W({ offbeat: 1 }), harmony: W({ epiano: 1, pad: 1 }) },
  Glitch: { glitchRate: [0.6, 2], burstRate: [0.2, 0.8] },
  "Minimal Electronic": { leadDensity: [0.05, 0.25], harmony: W({ none: 2, pad: 1 }) },
  "Breakcore - Hard": { bpm: [160, 190], drums: W({ breakbeat: 1 }), drive: [0.4, 0.9], glitchRate: [0.5, 1.5] },
  IDM: { drums: W({ breakbeat: 2, irregular: 1 }), glitchRate: [0.3, 1], scales: W({ chromatic: 1, minor: 1 }) },
  "Chip Music": { bassWave: W({ square: 1 }), lead: W({ square: 1 }), harmony: W({ none: 1 }), reverbMix: [0, 0.1], brightness: [12000, 16000] },
  Chiptune: { bassWave: W({ square: 1 }), lead: W({ square: 1 }), harmony: W({ none: 1 }), reverbMix: [0, 0.1], brightness: [12000, 16000] },
  "Trip-Hop": { bpm: [76, 98], drums: W({ "boom-bap": 1, halftime: 1 }), crackle: [0.1, 0.5], brightness: [3500, 8000] },
  Dance: { bpm: [120, 132], drums: W({ "four-on-floor": 1 }), lead: W({ voice: 1, square: 1 }) },
  "Drum & Bass": { bpm: [160, 176], drums: W({ breakbeat: 1 }), bass: W({ sub: 2, offbeat: 1 }) },
  Jungle: { bpm: [155, 172], drums: W({ breakbeat: 1 }), bass: W({ sub: 1 }) },
  Dubstep: { bpm: [136, 144], drums: W({ halftime: 1 }), bass: W({ sub: 1, eighths: 1 }), sweepDepth: [2, 4] },
  Downtempo: { bpm: [70, 100], drums: W({ halftime: 1, "boom-bap": 1 }) },
  "Chill-out": { bpm: [80, 105], reverbMix: [0.3, 0.5], drive: [0, 0.05] },
  // Experimental
  Noise: { noiseLevel: [0.15, 0.45], drive: [0.5, 1], brightness: [10000, 16000], burstRate: [0.5, 2] },
  Drone: { drums: W({ none: 1 }), harmony: W({ drone: 1 }), bass: W({ drone: 1 }), leadDensity: [0, 0.08] },
  "Field Recordings": { noiseLevel: [0.08, 0.25], noiseColor: [0.4, 1], harmony: W({ none: 2, drone: 1 }), lead: W({ none: 2, sine: 1 }) },
  "Audio Collage": { glitchRate: [0.5, 2], burstRate: [0.3, 1] },
  "Sound Collage": { glitchRate: [0.5, 2], burstRate: [0.3, 1] },
  "Musique Concrete": { burstRate: [0.5, 1.5], noiseLevel: [0.05, 0.2] },
  Minimalism: { drums: W({ none: 1 }), scales: W({ major: 1, pentatonicMajor: 1 }), lead: W({ bell: 1, piano: 1 }), leadDensity: [0.3, 0.6] },
  Improv: { drums: W({ irregular: 1 }), lead: W({ reed: 1, piano: 1, inharmonic: 1 }) },
  // Folk
  "Psych-Folk": { reverbMix: [0.3, 0.55], sweepDepth: [0.5, 1.5], harmony: W({ strum: 2, drone: 1 }) },
  "Free-Folk": { drums: W({ none: 1 }), scales: W({ dorian: 1, phrygian: 1 }), noiseLevel: [0.01, 0.05] },
  "Freak-Folk": { glitchRate: [0, 0.2], scales: W({ dorian: 1, mixolydian: 1 }) },
  "Singer-Songwriter": { lead: W({ voice: 1 }), harmony: W({ strum: 2, piano: 1 }) },
  "British Folk": { scales: W({ dorian: 1, mixolydian: 1 }), triple: 0.5 },
  // Hip-Hop
  Rap: { lead: W({ voice: 2, none: 1 }), leadDensity: [0.4, 0.7] },
  Breakbeat: { drums: W({ breakbeat: 1 }), bpm: [95, 130] },
  "Abstract Hip-Hop": { glitchRate: [0.1, 0.5], harmony: W({ pad: 1, epiano: 1 }) },
  Wonky: { swing: [0.25, 0.33], sweepDepth: [0.5, 2] },
  "Hip-Hop Beats": { lead: W({ none: 2, bell: 1 }) },
  Nerdcore: { lead: W({ square: 1, voice: 1 }), bassWave: W({ square: 1 }) },
  // Instrumental
  Soundtrack: { harmony: W({ pad: 2, piano: 1 }), reverbMix: [0.3, 0.55], bpm: [58, 96] },
  Ambient: { bpm: [55, 85], drums: W({ none: 1 }), harmony: W({ pad: 1 }), leadDensity: [0.05, 0.25], reverbMix: [0.4, 0.65] },
  "New Age": { scales: W({ pentatonicMajor: 1, major: 1 }), lead: W({ bell: 1, sine: 1 }), reverbMix: [0.35, 0.6] },
  // International
  "Reggae - Dub": { bpm: [66, 84], drums: W({ halftime: 1 }), bass: W({ sub: 1 }), harmony: W({ organ: 1 }), reverbMix: [0.3, 0.55] },
  "Reggae - Dancehall": { bpm: [88, 104], drums: W({ halftime: 1, "hand-percussion": 1 }), bass: W({ sub: 1 }) },
  Indian: { scales: W({ bhairav: 1 }), harmony: W({ drone: 1 }), lead: W({ reed: 1, pluck: 1 }) },
  "N. Indian Traditional": { scales: W({ bhairav: 1 }), harmony: W({ drone: 1 }), lead: W({ pluck: 1 }) },
  "South Indian Traditional": { scales: W({ bhairav: 1, hijaz: 1 }), harmony: W({ drone: 1 }) },
  "Middle East": { scales: W({ hijaz: 1 }), lead: W({ reed: 2, pluck: 1 }) },
  Turkish: { scales: W({ hijaz: 1 }), triple: 0.5 },
  "North African": { scales: W({ hijaz: 1 }) },
  "Asia-Far East": { scales: W({ inSen: 2, pentatonicMajor: 1 }), lead: W({ pluck: 1, bell: 1 }) },
  Latin: { bpm: [96, 126], drums: W({ "hand-percussion": 1 }), scales: W({ major: 1, harmonicMinor: 1 }) },
  "Latin America": { scales: W({ major: 1, harmonicMinor: 1 }), harmony: W({ strum: 1 }) },
  Salsa: { bpm: [150, 200], drums: W({ "hand-percussion": 1 }) },
  Cumbia: { bpm: [86, 104], drums: W({ "hand-percussion": 1, shaker: 1 }) },
  Tango: { scales: W({ harmonicMinor: 1 }), lead: W({ reed: 1 }), drums: W({ none: 1 }) },
  Flamenco: { scales: W({ phrygian: 1, hijaz: 1 }), harmony: W({ strum: 1 }), lead: W({ pluck: 1 }) },
  Celtic: { scales: W({ dorian: 1, mixolydian: 1 }), triple: 0.6, lead: W({ reed: 1, pluck: 1 }) },
  Polka: { bpm: [110, 140], scales: W({ major: 1 }), drums: W({ backbeat: 1 }) },
  Balkan: { scales: W({ hijaz: 1, harmonicMinor: 1 }), lead: W({ reed: 1 }) },
  Klezmer: { scales: W({ hijaz: 1 }), lead: W({ reed: 1 }) },
  Brazilian: { bpm: [90, 120], drums: W({ "hand-percussion": 1, shaker: 1 }), scales: W({ major: 1, dorian: 1 }) },
  African: { drums: W({ "hand-percussion": 1 }), scales: W({ pentatonicMajor: 1, mixolydian: 1 }) },
  Afrobeat: { bpm: [100, 126], drums: W({ "hand-percussion": 1, backbeat: 1 }), harmony: W({ organ: 1 }) },
  // Pop
  "Experimental Pop": { glitchRate: [0.05, 0.4], scales: W({ dorian: 1, major: 1 }) },
  "Synth Pop": { harmony: W({ pad: 1 }), lead: W({ voice: 1, square: 1 }), bassWave: W({ saw: 1, square: 1 }) },
  // Rock
  Punk: { bpm: [160, 200], drive: [0.75, 1], reverbMix: [0.02, 0.1] },
  "Post-Rock": { bpm: [70, 110], drive: [0.1, 0.5], reverbMix: [0.3, 0.55], harmony: W({ power: 1, pad: 1 }) },
  "Lo-Fi": { noiseLevel: [0.03, 0.09], brightness: [3000, 6000], crackle: [0.05, 0.3] },
  Metal: { bpm: [110, 190], drive: [0.85, 1], scales: W({ phrygian: 1, harmonicMinor: 1, minor: 1 }) },
  "Death-Metal": { bpm: [150, 200], drive: [0.9, 1] },
  "Black-Metal": { bpm: [160, 200], drive: [0.9, 1], noiseLevel: [0.05, 0.12] },
  Grindcore: { bpm: [170, 200], drive: [0.95, 1], noiseLevel: [0.05, 0.15] },
  Krautrock: { drums: W({ "four-on-floor": 1, backbeat: 1 }), progressions: W({ static: 1 }), harmony: W({ organ: 1, power: 1 }) },
  "Loud-Rock": { drive: [0.7, 1] },
  "Noise-Rock": { noiseLevel: [0.08, 0.22], drive: [0.75, 1], burstRate: [0.2, 0.8] },
  Sludge: { bpm: [60, 90], drive: [0.85, 1], drums: W({ halftime: 1 }) },
  "Psych-Rock": { reverbMix: [0.25, 0.5], sweepDepth: [1, 2.5] },
  "Space-Rock": { reverbMix: [0.35, 0.6], harmony: W({ pad: 1, power: 1 }) },
  "Indie-Rock": { drive: [0.3, 0.7], lead: W({ voice: 2, saw: 1 }) },
  Industrial: { drums: W({ "four-on-floor": 1, backbeat: 1 }), noiseLevel: [0.05, 0.15], glitchRate: [0.1, 0.5] },
  Garage: { drive: [0.5, 0.8], brightness: [4000, 8000] },
  Surf: { reverbMix: [0.3, 0.5], scales: W({ harmonicMinor: 1, major: 1 }), drive: [0.1, 0.4] },
  "New Wave": { harmony: W({ pad: 1, power: 1 }), drive: [0.2, 0.5], lead: W({ square: 1, voice: 1 }) },
  "Post-Punk": { bpm: [120, 160], drive: [0.4, 0.7], bass: W({ eighths: 1 }) },
  Hardcore: { bpm: [170, 200], drive: [0.85, 1] },
  Thrash: { bpm: [170, 200], drive: [0.9, 1] },
  Shoegaze: { reverbMix: [0.4, 0.65], drive: [0.6, 0.9], noiseLevel: [0.03, 0.08] },
  Goth: { scales: W({ minor: 1, phrygian: 1 }), reverbMix: [0.3, 0.5] },
  "Electro-Punk": { drums: W({ "four-on-floor": 1, backbeat: 1 }), lead: W({ square: 1 }) },
};

/** One track's drawn texture: every parameter the renderer needs. JSON-serialisable. */
export interface Texture {
  genre: string;
  /** The genre parts of the texture were borrowed from (ambiguous tracks), else null. */
  borrowedFrom: string | null;
  borrowedParts: string[];
  bpm: number;
  swing: number;
  beatsPerBar: 3 | 4;
  rootMidi: number;
  scale: ScaleName;
  progression: number[];
  drums: DrumStyle;
  drumLevel: number;
  drumDensity: number;
  kickHz: number;
  kickDecay: number;
  snareTone: number;
  hatDecay: number;
  bass: BassStyle;
  bassWave: BassWave;
  bassLevel: number;
  harmony: HarmonyStyle;
  harmonyLevel: number;
  lead: LeadStyle;
  leadLevel: number;
  leadDensity: number;
  leadRegister: number;
  noiseLevel: number;
  noiseColor: number;
  burstRate: number;
  glitchRate: number;
  crackle: number;
  drive: number;
  reverbMix: number;
  reverbSize: number;
  sweepDepth: number;
  sweepHz: number;
  brightness: number;
  stereoWidth: number;
  gainDb: number;
  /** Where in the (imaginary) full track the clip starts, in 16th steps. */
  startStep: number;
}

/** Texture parts an ambiguous track may take from another genre's family. */
const BORROWABLE: Record<string, ReadonlyArray<keyof FamilySpec>> = {
  rhythm: ["bpm", "swing", "triple", "drums", "drumLevel", "drumDensity"],
  bass: ["bass", "bassWave", "bassLevel"],
  harmony: ["harmony", "harmonyLevel", "scales", "progressions"],
  lead: ["lead", "leadLevel", "leadDensity", "leadRegister"],
  noise: ["noiseLevel", "noiseColor", "burstRate", "glitchRate", "crackle"],
  effects: ["drive", "reverbMix", "reverbSize", "sweepDepth", "brightness"],
};

/** Probability that a track's texture borrows parts from another genre. */
export const AMBIGUOUS_FRACTION = 0.15;

function pickWeighted<T extends string>(rng: Rng, choice: Choice<T>): T {
  const entries = Object.entries(choice) as Array<[T, number]>;
  let total = 0;
  for (const [, w] of entries) total += w;
  let r = rng.next() * total;
  for (const [k, w] of entries) {
    r -= w;
    if (r < 0) return k;
  }
  return entries[entries.length - 1][0];
}

function inRange(rng: Rng, r: Range): number {
  return rng.uniform(r[0], r[1]);
}

/** 32-bit hash of a small integer (for per-subgenre fixed shifts). */
function hash32(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface SubgenreRef {
  id: number;
  title: string;
}

/** The family of `genre` shifted by the track's subgenres (in order; later ones win). */
export function familyFor(genre: string, subgenres: readonly SubgenreRef[]): FamilySpec {
  const base = GENRE_FAMILIES[genre];
  if (!base) throw new Error(`no texture family for genre "${genre}"; known: ${Object.keys(GENRE_FAMILIES).join(", ")}`);
  let spec: FamilySpec = { ...base };
  for (const sub of subgenres) {
    const mod = SUBGENRE_MODIFIERS[sub.title];
    if (mod) {
      spec = { ...spec, ...mod };
    } else {
      // Unlisted subgenre: a fixed, id-derived nudge so it still has its own fingerprint.
      const h = hash32(sub.id);
      const tempo = 0.9 + 0.2 * ((h & 0xffff) / 0xffff);
      const bright = 0.8 + 0.4 * ((h >>> 16) / 0xffff);
      spec = {
        ...spec,
        bpm: [spec.bpm[0] * tempo, spec.bpm[1] * tempo],
        brightness: [spec.brightness[0] * bright, Math.min(16000, spec.brightness[1] * bright)],
      };
    }
  }
  return spec;
}

/**
 * Draw one track's texture. `rng` must be the track's own generator (derived from seed + track id),
 * so the result does not depend on other tracks or on the worker that renders it.
 */
export function drawTexture(rng: Rng, genre: string, subgenres: readonly SubgenreRef[], genres: readonly string[]): Texture {
  let spec = familyFor(genre, subgenres);
  let borrowedFrom: string | null = null;
  const borrowedParts: string[] = [];
  if (rng.next() < AMBIGUOUS_FRACTION) {
    const others = genres.filter((g) => g !== genre && GENRE_FAMILIES[g]);
    borrowedFrom = rng.pick(others);
    const other = GENRE_FAMILIES[borrowedFrom];
    const parts = Object.keys(BORROWABLE);
    for (const part of parts) if (rng.next() < 0.4) borrowedParts.push(part);
    if (borrowedParts.length === 0) borrowedParts.push(rng.pick(parts));
    const mixed: Record<string, unknown> = { ...spec };
    for (const part of borrowedParts) for (const key of BORROWABLE[part]) mixed[key] = other[key];
    spec = mixed as unknown as FamilySpec;
  }

  const bpm = inRange(rng, spec.bpm);
  const beatsPerBar: 3 | 4 = rng.next() < spec.triple ? 3 : 4;
  const scale = pickWeighted(rng, spec.scales);
  const progName = pickWeighted(rng, spec.progressions);
  const scaleLen = SCALES[scale].length;
  const progression =
    progName === "random"
      ? Array.from({ length: 4 }, () => rng.int(0, scaleLen - 1))
      : PROGRESSIONS[progName].map((d) => d % scaleLen);
  return {
    genre,
    borrowedFrom,
    borrowedParts,
    bpm,
    swing: inRange(rng, spec.swing),
    beatsPerBar,
    rootMidi: rng.int(40, 51), // E2..Eb3: the bass octave; other parts transpose up
    scale,
    progression,
    drums: pickWeighted(rng, spec.drums),
    drumLevel: inRange(rng, spec.drumLevel),
    drumDensity: inRange(rng, spec.drumDensity),
    kickHz: rng.uniform(45, 65),
    kickDecay: rng.uniform(0.15, 0.45),
    snareTone: rng.uniform(160, 240),
    hatDecay: rng.uniform(0.02, 0.09),
    bass: pickWeighted(rng, spec.bass),
    bassWave: pickWeighted(rng, spec.bassWave),
    bassLevel: inRange(rng, spec.bassLevel),
    harmony: pickWeighted(rng, spec.harmony),
    harmonyLevel: inRange(rng, spec.harmonyLevel),
    lead: pickWeighted(rng, spec.lead),
    leadLevel: inRange(rng, spec.leadLevel),
    leadDensity: inRange(rng, spec.leadDensity),
    leadRegister: Math.round(inRange(rng, spec.leadRegister)),
    noiseLevel: inRange(rng, spec.noiseLevel) * rng.uniform(0.7, 1.3),
    noiseColor: inRange(rng, spec.noiseColor),
    burstRate: inRange(rng, spec.burstRate),
    glitchRate: inRange(rng, spec.glitchRate),
    crackle: inRange(rng, spec.crackle),
    drive: inRange(rng, spec.drive),
    reverbMix: inRange(rng, spec.reverbMix),
    reverbSize: inRange(rng, spec.reverbSize),
    sweepDepth: inRange(rng, spec.sweepDepth),
    sweepHz: rng.uniform(0.02, 0.25),
    brightness: inRange(rng, spec.brightness),
    stereoWidth: rng.uniform(0.2, 0.9),
    gainDb: rng.uniform(-10, -1),
    startStep: rng.int(0, 15),
  };
}
