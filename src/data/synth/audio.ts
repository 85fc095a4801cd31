// Renders one Texture (textures.ts) into PCM: a 16th-note grid drives drums, bass, harmony and lead
// stems, which are panned, sent to a reverb, filtered (with a slow sweep), coloured with noise, bursts,
// glitches and crackle, then normalised to the track's gain. Deterministic for a given Rng state.
import { Rng } from "../../util/random";
import {
  Noise,
  addOscillator,
  addFormants,
  addPluck,
  addShot,
  applyDrive,
  bandpassCoefficients,
  fillEnvelope,
  highpass1,
  lowpass2,
  midiToHz,
  schroederReverb,
  sineCycles,
  softClip,
  type Envelope,
  type Wave,
} from "./dsp";
import { SCALES, type Texture } from "./textures";

export interface RenderOptions {
  sampleRate: number;
  channels: 1 | 2;
  /** Seconds of audio. */
  duration: number;
}

/** Per-render scratch and context shared by the voice functions. */
interface Ctx {
  sr: number;
  n: number;
  rng: Rng;
  noise: Noise;
  env: Float32Array; // scratch envelope, long enough for any note
  tmp: Float32Array; // scratch source for formant voices
  line: Float32Array; // Karplus–Strong delay line
  tex: Texture;
  scale: readonly number[];
  stepSec: number;
  stepsPerBar: number;
  steps: number;
}

const MAX_NOTE_SEC = 8;

/** Render a texture to `channels` Float32Arrays of duration·sampleRate samples, peak = 10^(gainDb/20). */
export function renderTexture(tex: Texture, rng: Rng, opts: RenderOptions): Float32Array[] {
  const sr = opts.sampleRate;
  const n = Math.max(1, Math.round(opts.duration * sr));
  const stepSec = 60 / tex.bpm / 4;
  const ctx: Ctx = {
    sr,
    n,
    rng,
    noise: new Noise(rng.nextUint32()),
    env: new Float32Array(Math.ceil(MAX_NOTE_SEC * sr) + 1),
    tmp: new Float32Array(Math.ceil(MAX_NOTE_SEC * sr) + 1),
    line: new Float32Array(Math.ceil(sr / 20) + 2),
    tex,
    scale: SCALES[tex.scale],
    stepSec,
    stepsPerBar: tex.beatsPerBar * 4,
    steps: Math.ceil(opts.duration / stepSec) + 1,
  };

  const drums = new Float32Array(n);
  const bass = new Float32Array(n);
  const harmony = new Float32Array(n);
  const lead = new Float32Array(n);
  renderDrums(ctx, drums);
  renderBass(ctx, bass);
  renderHarmony(ctx, harmony);
  renderLead(ctx, lead);
  // "Guitars" get the drive; the whole mix only a little.
  applyDrive(harmony, tex.drive);
  if (tex.lead === "saw") applyDrive(lead, tex.drive * 0.8);

  const send = new Float32Array(n);
  for (let i = 0; i < n; i++) send[i] = 0.15 * drums[i] + 0.6 * harmony[i] + 0.5 * lead[i] + 0.1 * bass[i];
  const wet = tex.reverbMix > 0.01 ? schroederReverb(send, tex.reverbSize, sr) : null;

  const width = opts.channels === 2 ? tex.stereoWidth : 0;
  const panH = -0.6 * width;
  const panL = 0.45 * width;
  const gain = (pan: number, right: boolean) => Math.sqrt(0.5 * (1 + (right ? pan : -pan)));
  const outs: Float32Array[] = [];
  const decor = Math.round(0.011 * sr); // right channel's reverb is offset for width
  for (let ch = 0; ch < opts.channels; ch++) {
    const right = ch === 1;
    const gh = gain(panH, right) * tex.harmonyLevel;
    const gl = gain(panL, right) * tex.leadLevel;
    const gd = Math.SQRT1_2 * tex.drumLevel;
    const gb = Math.SQRT1_2 * tex.bassLevel;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = gd * drums[i] + gb * bass[i] + gh * harmony[i] + gl * lead[i];
    if (wet) {
      const off = right ? decor : 0;
      const g = tex.reverbMix * 1.5;
      for (let i = off; i < n; i++) out[i] += g * wet[i - off];
    }
    outs.push(out);
  }
  applyMasterFilter(ctx, outs);
  addNoiseLayers(ctx, outs);
  applyGlitches(ctx, outs);
  normalise(outs, Math.pow(10, tex.gainDb / 20), tex.drive);
  return outs;
}

// ---------------------------------------------------------------------------------------------
// Score helpers

/** Sample index of grid step s (after the clip start), with swing on the off-16ths. */
function stepSample(ctx: Ctx, s: number): number {
  const g = s + ctx.tex.startStep;
  const swing = g % 2 === 1 ? ctx.tex.swing * ctx.stepSec : 0;
  return Math.round((s * ctx.stepSec + swing) * ctx.sr);
}

/** Scale degree → MIDI note above `base` (degrees may exceed the scale length or be negative). */
function degreeToMidi(ctx: Ctx, degree: number, base: number): number {
  const len = ctx.scale.length;
  const oct = Math.floor(degree / len);
  const idx = degree - oct * len;
  return base + 12 * oct + ctx.scale[idx];
}

/** The chord root degree of the bar holding step s. */
function chordDegree(ctx: Ctx, s: number): number {
  const bar = Math.floor((s + ctx.tex.startStep) / ctx.stepsPerBar);
  const prog = ctx.tex.progression;
  return prog[bar % prog.length];
}

function posInBar(ctx: Ctx, s: number): number {
  return (s + ctx.tex.startStep) % ctx.stepsPerBar;
}

/** Adds one oscillator note of `holdSec` (plus release tail) at sample `start`. */
function oscNote(
  ctx: Ctx,
  out: Float32Array,
  start: number,
  holdSec: number,
  wave: Wave,
  freq: number,
  amp: number,
  e: Envelope,
  vibratoHz = 0,
  vibratoDepth = 0,
): void {
  if (start >= ctx.n) return;
  const hold = Math.round(Math.min(holdSec, MAX_NOTE_SEC / 2) * ctx.sr);
  const len = Math.min(ctx.env.length, hold + Math.round(e.release * 5 * ctx.sr), ctx.n - start);
  fillEnvelope(ctx.env, len, hold, e, ctx.sr);
  addOscillator(out, start, ctx.env, len, wave, freq, amp, ctx.sr, ctx.rng.next(), vibratoHz, vibratoDepth);
}

/** Piano-like additive tone: partials with slight inharmonicity, upper ones decaying faster. */
function pianoNote(ctx: Ctx, out: Float32Array, start: number, holdSec: number, freq: number, amp: number): void {
  const partials = freq > 1000 ? 3 : 6;
  for (let k = 1; k <= partials; k++) {
    const fk = freq * k * Math.sqrt(1 + 0.0004 * k * k);
    if (fk > ctx.sr * 0.45) break;
    const decay = 1.2 / (1 + 0.6 * (k - 1)) * (300 / (freq + 150) + 0.5);
    oscNote(ctx, out, start, holdSec, "sine", fk, amp * 0.6 / k, { attack: 0.003, decay, sustain: 0, release: 0.08 });
  }
}

/** FM tone (bell / e-piano / inharmonic): carrier sine phase-modulated by ratio·f with a decaying index. */
function fmNote(ctx: Ctx, out: Float32Array, start: number, holdSec: number, freq: number, amp: number, ratio: number, index: number, decay: number): void {
  if (start >= ctx.n) return;
  const sr = ctx.sr;
  const hold = Math.round(Math.min(holdSec, MAX_NOTE_SEC / 2) * sr);
  const len = Math.min(ctx.env.length, hold + Math.round(0.3 * sr), ctx.n - start);
  fillEnvelope(ctx.env, len, hold, { attack: 0.002, decay, sustain: 0.15, release: 0.06 }, sr);
  const dc = freq / sr;
  const dm = (freq * ratio) / sr;
  const idxMul = Math.exp(-1 / (0.25 * decay * sr + 1));
  let pc = 0;
  let pm = 0;
  let idx = index;
  for (let i = 0; i < len; i++) {
    out[start + i] += amp * ctx.env[i] * sineCycles(pc + idx * sineCycles(pm));
    pc += dc;
    pm += dm;
    if (pc > 1) pc -= 1;
    if (pm > 1) pm -= 1;
    idx *= idxMul;
  }
}

const VOWELS: ReadonlyArray<readonly [number, number, number]> = [
  [800, 1150, 2900], // a
  [400, 1600, 2700], // e
  [300, 2300, 3000], // i
  [450, 800, 2830], // o
  [325, 700, 2530], // u
];

/** Vocal-like tone: vibrato saw through three formant band-passes of a vowel. */
function voiceNote(ctx: Ctx, out: Float32Array, start: number, holdSec: number, freq: number, amp: number, vowel: number): void {
  if (start >= ctx.n) return;
  const sr = ctx.sr;
  const hold = Math.round(Math.min(holdSec, MAX_NOTE_SEC / 2) * sr);
  const len = Math.min(ctx.tmp.length, hold + Math.round(0.25 * sr), ctx.n - start);
  ctx.tmp.fill(0, 0, len);
  fillEnvelope(ctx.env, len, hold, { attack: 0.04, decay: 0.3, sustain: 0.8, release: 0.06 }, sr);
  addOscillator(ctx.tmp, 0, ctx.env, len, "saw", freq, 1, sr, 0, 5.2 + ctx.rng.next(), 0.012);
  const f = VOWELS[vowel % VOWELS.length];
  const filters = f.map((hz, k) => bandpassCoefficients(hz, 6 + 4 * k, sr));
  addFormants(out, start, ctx.tmp, len, filters, [amp * 2.2, amp * 1.4, amp * 0.8]);
}

/** Reed-like (nasal) tone: narrow pulse with vibrato and a slide from a neighbour note, one resonance. */
function reedNote(ctx: Ctx, out: Float32Array, start: number, holdSec: number, freq: number, amp: number): void {
  if (start >= ctx.n) return;
  const sr = ctx.sr;
  const hold = Math.round(Math.min(holdSec, MAX_NOTE_SEC / 2) * sr);
  const len = Math.min(ctx.tmp.length, hold + Math.round(0.2 * sr), ctx.n - start);
  ctx.tmp.fill(0, 0, len);
  fillEnvelope(ctx.env, len, hold, { attack: 0.03, decay: 0.5, sustain: 0.75, release: 0.05 }, sr);
  addOscillator(ctx.tmp, 0, ctx.env, len, "pulse25", freq, 1, sr, 0, 4 + 3 * ctx.rng.next(), 0.02);
  addFormants(out, start, ctx.tmp, len, [bandpassCoefficients(1200 + 600 * ctx.rng.next(), 3, sr), bandpassCoefficients(freq * 2, 2, sr)], [amp * 1.6, amp]);
}

// ---------------------------------------------------------------------------------------------
// Drums

interface Kit {
  kick: Float32Array;
  snare: Float32Array;
  hat: Float32Array;
  clap: Float32Array;
  dum: Float32Array;
  tek: Float32Array;
  shaker: Float32Array;
}

function makeKit(ctx: Ctx): Kit {
  const { sr, noise, tex } = ctx;
  const shot = (sec: number, fn: (t: number, i: number) => number) => {
    const len = Math.round(sec * sr);
    const b = new Float32Array(len);
    for (let i = 0; i < len; i++) b[i] = fn(i / sr, i);
    return b;
  };
  let ph = 0;
  const kick = shot(tex.kickDecay * 1.5, (t) => {
    ph += (tex.kickHz * (1 + 2.5 * Math.exp(-t / 0.025))) / sr;
    return Math.exp(-t / (tex.kickDecay * 0.4)) * sineCycles(ph) + (t < 0.003 ? 0.3 * noise.next() : 0);
  });
  let ph2 = 0;
  const snare = shot(0.25, (t) => {
    ph2 += tex.snareTone / sr;
    return 0.6 * noise.next() * Math.exp(-t / 0.07) + 0.5 * sineCycles(ph2) * Math.exp(-t / 0.04);
  });
  highpass1(snare, 300, sr);
  const hat = shot(tex.hatDecay * 4, (t) => noise.next() * Math.exp(-t / tex.hatDecay));
  highpass1(hat, 6000, sr);
  highpass1(hat, 6000, sr);
  const clap = shot(0.2, (t) => {
    const burst = t < 0.03 ? (Math.floor(t / 0.01) % 2 === 0 ? 1 : 0.3) : Math.exp(-(t - 0.03) / 0.05);
    return 0.7 * noise.next() * burst;
  });
  highpass1(clap, 800, sr);
  let ph3 = 0;
  const dumHz = 80 + 40 * ctx.rng.next();
  const dum = shot(0.35, (t) => {
    ph3 += (dumHz * (1 + 0.3 * Math.exp(-t / 0.05))) / sr;
    return sineCycles(ph3) * Math.exp(-t / 0.12);
  });
  let ph4 = 0;
  const tekHz = 380 + 300 * ctx.rng.next();
  const tek = shot(0.12, (t) => {
    ph4 += tekHz / sr;
    return 0.6 * sineCycles(ph4) * Math.exp(-t / 0.03) + 0.4 * noise.next() * Math.exp(-t / 0.008);
  });
  const shaker = shot(0.09, (t) => noise.next() * Math.min(1, t / 0.012) * Math.exp(-t / 0.03));
  highpass1(shaker, 4000, sr);
  return { kick, snare, hat, clap, dum, tek, shaker };
}

/** 16-step patterns (4/4). 'x' = hit, 'o' = soft hit. Triple meter uses the first 12 steps. */
const PATTERNS: Record<string, Partial<Record<keyof Kit, string>>> = {
  "four-on-floor": { kick: "x...x...x...x...", clap: "....x.......x...", hat: "..x...x...x...x." },
  "boom-bap": { kick: "x......x..x.....", snare: "....x.......x...", hat: "x.x.x.x.x.x.x.x." },
  backbeat: { kick: "x.......x.x.....", snare: "....x.......x...", hat: "x.x.x.x.x.x.x.x." },
  halftime: { kick: "x.........x.....", snare: "........x.......", hat: "x.x.x.x.x.x.x.x." },
  breakbeat: { kick: "x.x.......xx....", snare: "....x..o.o..x..o", hat: "x.x.x.x.x.x.x.x." },
  sparse: { kick: "x.......o.......", hat: "....o.......o..." },
  "hand-percussion": { dum: "x.......x.......", tek: "..x...x.....x...", shaker: "o.o.o.o.o.o.o.o." },
  shaker: { shaker: "x.o.x.o.x.o.x.o.", kick: "x..............." },
};

function renderDrums(ctx: Ctx, out: Float32Array): void {
  const { tex, rng } = ctx;
  if (tex.drums === "none") return;
  const kit = makeKit(ctx);
  const pattern = PATTERNS[tex.drums];
  const parts = Object.keys(kit) as Array<keyof Kit>;
  const dropBars = rng.next() < 0.3 ? rng.int(1, 2) : 0; // some clips start before the drums come in
  for (let s = 0; s < ctx.steps; s++) {
    const pos = posInBar(ctx, s);
    const bar = Math.floor(s / ctx.stepsPerBar);
    if (bar < dropBars) continue;
    const at = stepSample(ctx, s);
    if (at >= ctx.n) break;
    const vel = 0.85 + 0.15 * rng.next();
    if (tex.drums === "irregular") {
      for (const part of parts) {
        if (rng.next() < tex.drumDensity * (part === "hat" || part === "shaker" ? 0.6 : 0.2)) addShot(out, kit[part], at, vel * (0.4 + 0.6 * rng.next()));
      }
      continue;
    }
    if (!pattern) continue;
    let hit = false;
    for (const part of parts) {
      const p = pattern[part];
      if (!p) continue;
      const c = p[pos % 16];
      if (c === "x") {
        addShot(out, kit[part], at, vel);
        hit = true;
      } else if (c === "o") {
        addShot(out, kit[part], at, 0.45 * vel);
        hit = true;
      }
    }
    // Ghost notes and fills.
    if (!hit && rng.next() < tex.drumDensity) {
      const part: keyof Kit = tex.drums === "hand-percussion" ? "tek" : rng.next() < 0.7 ? "hat" : "snare";
      addShot(out, kit[part], at, 0.25 + 0.2 * rng.next());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bass

function renderBass(ctx: Ctx, out: Float32Array): void {
  const { tex, rng, sr } = ctx;
  if (tex.bass === "none") return;
  const base = tex.rootMidi;
  const wave: Wave = tex.bassWave;
  const e: Envelope = { attack: 0.005, decay: 0.25, sustain: 0.6, release: 0.04 };
  if (tex.bass === "drone") {
    const f = midiToHz(base);
    const seg = Math.min(MAX_NOTE_SEC / 2, ctx.n / sr);
    for (let t = 0; t < ctx.n / sr; t += seg) {
      oscNote(ctx, out, Math.round(t * sr), seg, "sine", f, 0.8, { attack: 0.3, decay: 2, sustain: 0.9, release: 0.3 });
      oscNote(ctx, out, Math.round(t * sr), seg, wave === "sine" ? "sine" : "saw", f * 2, 0.15, { attack: 0.5, decay: 2, sustain: 0.9, release: 0.3 });
    }
    lowpass2(out, 0, ctx.n, 600, sr);
    return;
  }
  const hitsAt: Record<string, (pos: number) => number> = {
    // → note length in steps, or 0 for no note at this position
    sub: (pos) => (pos === 0 ? 7 : pos === 10 ? 5 : pos === 7 && rng.next() < 0.3 ? 2 : 0),
    offbeat: (pos) => (pos % 4 === 2 ? 2 : 0),
    eighths: (pos) => (pos % 2 === 0 ? 2 : 0),
    roots: (pos) => (pos === 0 ? 6 : pos === 8 ? 6 : 0),
    walking: (pos) => (pos % 4 === 0 ? 4 : 0),
  };
  const rule = hitsAt[tex.bass] ?? hitsAt.roots;
  let walk = 0;
  for (let s = 0; s < ctx.steps; s++) {
    const pos = posInBar(ctx, s);
    const len = rule(pos);
    if (len === 0) continue;
    const at = stepSample(ctx, s);
    if (at >= ctx.n) break;
    let degree = chordDegree(ctx, s);
    if (tex.bass === "walking") {
      degree += [0, 2, 4, 5][walk++ % 4];
    } else if (tex.bass === "eighths" && pos >= 12 && rng.next() < 0.25) {
      degree += 4; // a fifth now and then
    }
    const midi = degreeToMidi(ctx, degree, base);
    const f = midiToHz(midi > base + 11 ? midi - 12 : midi);
    const hold = len * ctx.stepSec * (tex.bass === "eighths" ? 0.7 : 0.95);
    oscNote(ctx, out, at, hold, wave, f, wave === "sine" ? 0.9 : 0.45, tex.bass === "sub" ? { attack: 0.005, decay: 0.6, sustain: 0.5, release: 0.08 } : e);
  }
  if (wave !== "sine") lowpass2(out, 0, ctx.n, 700 + 900 * rng.next(), sr);
}

// ---------------------------------------------------------------------------------------------
// Harmony

/** MIDI notes of the chord on `degree` (triad from the scale), around `base`. */
function chordNotes(ctx: Ctx, degree: number, base: number, voices = 3): number[] {
  const notes: number[] = [];
  for (let k = 0; k < voices; k++) notes.push(degreeToMidi(ctx, degree + 2 * k, base));
  return notes;
}

function renderHarmony(ctx: Ctx, out: Float32Array): void {
  const { tex, rng, sr } = ctx;
  const base = tex.rootMidi + 12;
  const barSec = ctx.stepsPerBar * ctx.stepSec;
  const bars = Math.ceil(ctx.steps / ctx.stepsPerBar) + 1;
  const barStart = (b: number) => {
    const s = b * ctx.stepsPerBar - posInBar(ctx, 0);
    return s;
  };
  switch (tex.harmony) {
    case "none":
      return;
    case "pad":
    case "organ": {
      for (let b = 0; b < bars; b++) {
        const s = Math.max(0, barStart(b));
        const at = s === 0 ? 0 : stepSample(ctx, s);
        if (at >= ctx.n) break;
        const notes = chordNotes(ctx, chordDegree(ctx, s), base);
        for (const m of notes) {
          const f = midiToHz(m);
          if (tex.harmony === "pad") {
            const e = { attack: 0.2 + 0.6 * rng.next(), decay: 1, sustain: 0.8, release: 0.3 };
            oscNote(ctx, out, at, barSec, "saw", f * 1.003, 0.18, e);
            oscNote(ctx, out, at, barSec, "saw", f * 0.997, 0.18, e);
          } else {
            const e = { attack: 0.01, decay: 1, sustain: 0.9, release: 0.05 };
            for (const [k, a] of [[1, 0.3], [2, 0.2], [3, 0.12], [4, 0.08]] as const) oscNote(ctx, out, at, barSec, "sine", f * k, a, e, 6, 0.002);
          }
        }
      }
      if (tex.harmony === "pad") lowpass2(out, 0, ctx.n, 1200 + 2500 * rng.next(), sr);
      return;
    }
    case "drone":
    case "cluster": {
      const seg = MAX_NOTE_SEC / 2;
      const notes =
        tex.harmony === "drone"
          ? [base, base + 7, base + 12]
          : Array.from({ length: rng.int(3, 5) }, () => base + rng.int(0, 14) + (rng.next() < 0.3 ? 0.3 * rng.next() : 0));
      for (let t = 0; t < ctx.n / sr; t += seg * 0.9) {
        for (const m of notes) {
          const e = { attack: 0.8, decay: 3, sustain: 0.85, release: 0.5 };
          oscNote(ctx, out, Math.round(t * sr), seg, tex.harmony === "drone" ? "saw" : "sine", midiToHz(m) * (1 + 0.002 * rng.next()), 0.2, e, 0.1 + 0.3 * rng.next(), 0.003);
        }
      }
      if (tex.harmony === "drone") lowpass2(out, 0, ctx.n, 1500 + 1500 * rng.next(), sr);
      return;
    }
    case "strum": {
      const strumSteps = tex.beatsPerBar === 3 ? [0, 4, 8] : [0, 4, 8, 10, 12, 14];
      const bright = 0.4 + 0.5 * rng.next();
      for (let s = 0; s < ctx.steps; s++) {
        const pos = posInBar(ctx, s);
        if (!strumSteps.includes(pos) || (pos % 4 !== 0 && rng.next() < 0.3)) continue;
        const at = stepSample(ctx, s);
        if (at >= ctx.n) break;
        const d = chordDegree(ctx, s);
        const root = degreeToMidi(ctx, d, base - 12);
        const voicing = [root, root + 7, root + 12, degreeToMidi(ctx, d + 2, base), degreeToMidi(ctx, d + 4, base), root + 24];
        const next = (pos % 4 === 0 ? 4 : 2) * ctx.stepSec;
        const down = pos % 4 === 0;
        for (let k = 0; k < voicing.length; k++) {
          const kk = down ? k : voicing.length - 1 - k;
          const off = Math.round(k * (0.008 + 0.006 * rng.next()) * sr);
          addPluck(out, at + off, Math.round(next * sr * 1.05), midiToHz(voicing[kk]), 0.22 * (down ? 1 : 0.7), bright, 1.5, sr, ctx.noise, ctx.line);
        }
      }
      return;
    }
    case "piano":
    case "epiano": {
      const arpeggio = rng.next() < 0.5;
      for (let s = 0; s < ctx.steps; s++) {
        const pos = posInBar(ctx, s);
        const at = stepSample(ctx, s);
        if (at >= ctx.n) break;
        const notes = chordNotes(ctx, chordDegree(ctx, s), base, 4);
        if (arpeggio) {
          if (pos % 2 !== 0) continue;
          const m = notes[(pos / 2) % notes.length];
          if (tex.harmony === "piano") pianoNote(ctx, out, at, ctx.stepSec * 3, midiToHz(m), 0.5);
          else fmNote(ctx, out, at, ctx.stepSec * 3, midiToHz(m), 0.35, 1, 1.2, 0.6);
        } else {
          const hitHere = pos === 0 || (tex.harmony === "epiano" ? pos === 6 || pos === 10 : pos === 8);
          if (!hitHere) continue;
          for (const m of notes.slice(0, 3)) {
            if (tex.harmony === "piano") pianoNote(ctx, out, at, ctx.stepSec * 6, midiToHz(m), 0.35);
            else fmNote(ctx, out, at, ctx.stepSec * 4, midiToHz(m), 0.25, 1, 1.5, 0.8);
          }
        }
      }
      return;
    }
    case "power": {
      const palmMuted = rng.next() < 0.6;
      for (let s = 0; s < ctx.steps; s++) {
        const pos = posInBar(ctx, s);
        const at = stepSample(ctx, s);
        if (at >= ctx.n) break;
        if (palmMuted ? pos % 2 !== 0 : pos % 8 !== 0) continue;
        const root = degreeToMidi(ctx, chordDegree(ctx, s), tex.rootMidi);
        const hold = palmMuted ? ctx.stepSec * 1.2 : ctx.stepSec * 7.5;
        const e = palmMuted ? { attack: 0.003, decay: 0.08, sustain: 0.2, release: 0.03 } : { attack: 0.005, decay: 0.8, sustain: 0.6, release: 0.08 };
        for (const [iv, a] of [[0, 0.3], [7, 0.25], [12, 0.2]] as const) oscNote(ctx, out, at, hold, "saw", midiToHz(root + 12 + iv), a, e);
      }
      lowpass2(out, 0, ctx.n, 2500 + 2000 * rng.next(), sr);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lead

function renderLead(ctx: Ctx, out: Float32Array): void {
  const { tex, rng, sr } = ctx;
  if (tex.lead === "none") return;
  const len = ctx.scale.length;
  // Lead notes are degrees relative to the register's nearest scale tone.
  const base = tex.rootMidi + 12 * Math.max(0, Math.round((tex.leadRegister - tex.rootMidi) / 12));
  let degree = rng.int(0, len - 1);
  const legato = tex.lead === "voice" || tex.lead === "reed" || tex.lead === "sine";
  const phraseBars = 4;
  let busyUntil = -1;
  const ratio = tex.lead === "inharmonic" ? 1.2 + 2.5 * rng.next() : tex.lead === "bell" ? rng.pick([3.5, 1.4, 2]) : 1;
  let vowel = rng.int(0, 4);
  for (let s = 0; s < ctx.steps; s++) {
    if (s < busyUntil) continue;
    const pos = posInBar(ctx, s);
    const bar = Math.floor((s + tex.startStep) / ctx.stepsPerBar);
    // Phrases: sung-like leads rest in the last bar of each phrase.
    if (legato && bar % phraseBars === phraseBars - 1) continue;
    const strong = pos % 4 === 0;
    if (rng.next() >= tex.leadDensity * (strong ? 1.4 : 0.8)) continue;
    const at = stepSample(ctx, s);
    if (at >= ctx.n) break;
    // Random walk, pulled to chord tones on strong beats.
    degree += rng.pick([-2, -1, -1, 1, 1, 2, 0, 3, -3]);
    if (degree < -len) degree = -len + 1;
    if (degree > 2 * len) degree = 2 * len - 2;
    if (strong && rng.next() < 0.6) {
      const c = chordDegree(ctx, s);
      degree = c + 2 * Math.round((degree - c) / 2);
    }
    let midi = degreeToMidi(ctx, degree, base);
    if (tex.lead === "inharmonic") midi += rng.uniform(-0.5, 0.5);
    const steps = legato ? rng.pick([2, 2, 3, 4, 4, 6, 8]) : rng.pick([1, 1, 2, 2, 3, 4]);
    busyUntil = s + steps;
    const hold = steps * ctx.stepSec * 0.92;
    const f = midiToHz(midi);
    const amp = 0.55 + 0.2 * rng.next();
    switch (tex.lead) {
      case "pluck":
        addPluck(out, at, Math.round((hold + 0.3) * sr), f, amp * 0.7, 0.7, 1.2, sr, ctx.noise, ctx.line);
        break;
      case "piano":
        pianoNote(ctx, out, at, hold, f, amp * 0.8);
        break;
      case "bell":
        fmNote(ctx, out, at, hold, f, amp * 0.45, ratio, 2.5, 0.5);
        break;
      case "inharmonic":
        fmNote(ctx, out, at, hold * (1 + 2 * rng.next()), f, amp * 0.4, ratio, 1 + 4 * rng.next(), 0.3 + 1.5 * rng.next());
        break;
      case "voice":
        if (rng.next() < 0.4) vowel = rng.int(0, 4);
        voiceNote(ctx, out, at, hold, f, amp * 0.5, vowel);
        break;
      case "reed":
        reedNote(ctx, out, at, hold, f, amp * 0.4);
        break;
      case "square":
        oscNote(ctx, out, at, hold, rng.next() < 0.5 ? "square" : "pulse25", f, amp * 0.22, { attack: 0.003, decay: 0.2, sustain: 0.6, release: 0.03 });
        break;
      case "saw":
        oscNote(ctx, out, at, hold, "saw", f, amp * 0.3, { attack: 0.005, decay: 0.4, sustain: 0.7, release: 0.05 }, 5, 0.004);
        break;
      case "sine":
        oscNote(ctx, out, at, hold, "sine", f, amp * 0.5, { attack: 0.02, decay: 0.5, sustain: 0.7, release: 0.1 }, 5, 0.003);
        break;
    }
  }
  if (tex.lead === "square" || tex.lead === "saw") lowpass2(out, 0, ctx.n, 3000 + 4000 * rng.next(), sr);
}

// ---------------------------------------------------------------------------------------------
// Master: filter sweep, noise, bursts, crackle, glitches, normalisation

function applyMasterFilter(ctx: Ctx, outs: Float32Array[]): void {
  const { tex, sr } = ctx;
  const block = 64;
  const lfoPhase0 = ctx.rng.next();
  for (const out of outs) {
    let y1 = 0;
    let y2 = 0;
    let a = 0;
    for (let i = 0; i < out.length; i++) {
      if (i % block === 0) {
        const t = i / sr;
        const lfo = 0.5 + 0.5 * sineCycles(lfoPhase0 + tex.sweepHz * t);
        const fc = Math.min(sr * 0.45, tex.brightness * Math.pow(2, -tex.sweepDepth * lfo));
        a = 1 - Math.exp((-2 * Math.PI * fc) / sr);
      }
      y1 += a * (out[i] - y1);
      y2 += a * (y1 - y2);
      out[i] = y2;
    }
  }
}

function addNoiseLayers(ctx: Ctx, outs: Float32Array[]): void {
  const { tex, sr, noise, rng, n } = ctx;
  // Continuous noise floor: white mixed with brown by noiseColor (independent per channel).
  if (tex.noiseLevel > 0.0005) {
    for (const out of outs) {
      let brown = 0;
      for (let i = 0; i < n; i++) {
        const w = noise.next();
        brown = 0.995 * brown + 0.05 * w;
        out[i] += tex.noiseLevel * ((1 - tex.noiseColor) * w + tex.noiseColor * 2 * brown);
      }
    }
  }
  // Noise bursts: band-limited noise swells of 0.05–0.8 s.
  const bursts = Math.round(tex.burstRate * (n / sr) * (0.5 + rng.next()));
  for (let k = 0; k < bursts; k++) {
    const start = rng.int(0, n - 1);
    const len = Math.min(n - start, Math.round(rng.uniform(0.05, 0.8) * sr));
    const amp = rng.uniform(0.1, 0.5);
    const a = 1 - Math.exp((-2 * Math.PI * rng.uniform(300, 8000)) / sr);
    for (const out of outs) {
      let lp = 0;
      for (let i = 0; i < len; i++) {
        lp += a * (noise.next() - lp);
        const env = Math.sin((Math.PI * i) / len);
        out[start + i] += amp * env * lp;
      }
    }
  }
  // Vinyl crackle: sparse clicks plus a little hiss.
  if (tex.crackle > 0.005) {
    const clicksPerSec = 20 * tex.crackle;
    const p = clicksPerSec / sr;
    for (const out of outs) {
      for (let i = 0; i < n; i++) {
        if (noise.unit() < p) {
          const amp = tex.crackle * 0.25 * noise.next();
          const len = Math.min(n - i, 8 + Math.floor(noise.unit() * 24));
          for (let j = 0; j < len; j++) out[i + j] += amp * (1 - j / len);
        }
        out[i] += tex.crackle * 0.004 * noise.next();
      }
    }
  }
}

/** Stutters (a short segment repeated) and sample-and-hold crushes. */
function applyGlitches(ctx: Ctx, outs: Float32Array[]): void {
  const { tex, sr, rng, n } = ctx;
  const count = Math.round(tex.glitchRate * (n / sr) * (0.5 + rng.next()));
  for (let k = 0; k < count; k++) {
    const start = rng.int(0, n - 1);
    if (rng.next() < 0.6) {
      const seg = Math.round(rng.uniform(0.015, 0.12) * sr);
      const reps = rng.int(2, 6);
      for (const out of outs) {
        for (let r = 1; r < reps; r++) {
          const dst = start + r * seg;
          const m = Math.min(seg, n - dst);
          if (m <= 0) break;
          out.copyWithin(dst, start, start + m);
        }
      }
    } else {
      const len = Math.min(n - start, Math.round(rng.uniform(0.05, 0.4) * sr));
      const hold = rng.int(4, 32);
      const levels = rng.pick([8, 16, 32]);
      for (const out of outs) {
        let v = 0;
        for (let i = 0; i < len; i++) {
          if (i % hold === 0) v = Math.round(out[start + i] * levels) / levels;
          out[start + i] = v;
        }
      }
    }
  }
}

/** Scale so the peak is `peak`, with a soft limiter when the mix is driven. */
function normalise(outs: Float32Array[], peak: number, drive: number): void {
  let max = 0;
  for (const out of outs) for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]));
  if (max === 0) return;
  // Driven mixes are louder (compressed): push into the soft clipper, then scale.
  const push = 1 + 1.5 * drive;
  const norm = push / max;
  const after = softClip(push);
  for (const out of outs) {
    for (let i = 0; i < out.length; i++) out[i] = (softClip(out[i] * norm) / after) * peak;
  }
}
