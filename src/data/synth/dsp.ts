// Small, fast DSP building blocks for the synthetic clips: table sine, band-limited (polyBLEP) saw and
// pulse, envelopes, one-pole and biquad filters, Karplus–Strong strings, a Schroeder reverb and a soft
// clipper. Everything works in place on Float32Arrays; no allocation inside per-sample loops.

const SINE_BITS = 12;
const SINE_SIZE = 1 << SINE_BITS;
const SINE_TABLE = new Float32Array(SINE_SIZE + 1);
for (let i = 0; i <= SINE_SIZE; i++) SINE_TABLE[i] = Math.sin((2 * Math.PI * i) / SINE_SIZE);

/** sin(2π·phase) for a phase in cycles (any real; wrapped), by linear interpolation in a 4096-table. */
export function sineCycles(phase: number): number {
  const p = (phase - Math.floor(phase)) * SINE_SIZE;
  const i = p | 0;
  const f = p - i;
  return SINE_TABLE[i] + f * (SINE_TABLE[i + 1] - SINE_TABLE[i]);
}

/** Fast deterministic white noise in [-1, 1) (xorshift32); seeded per track. */
export class Noise {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x1234567;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return (x | 0) / 2147483648;
  }
  /** Uniform in [0, 1). */
  unit(): number {
    return this.next() * 0.5 + 0.5;
  }
}

/** PolyBLEP residual: removes most aliasing from a naive saw/pulse step. t = phase in [0,1), dt = f/sr. */
function polyBlep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

/** ADSR-ish envelope parameters in seconds (attack linear, decay/release exponential). */
export interface Envelope {
  attack: number;
  decay: number; // time constant of the fall toward `sustain`
  sustain: number; // 0..1
  release: number; // time constant after note-off
}

/** Fills `env[0..len)` (len = note + release tail) with the envelope of a note held for `holdLen` samples. */
export function fillEnvelope(env: Float32Array, len: number, holdLen: number, e: Envelope, sr: number): void {
  const a = Math.max(1, Math.round(e.attack * sr));
  const dMul = Math.exp(-1 / Math.max(1, e.decay * sr));
  const rMul = Math.exp(-1 / Math.max(1, e.release * sr));
  let level = 0;
  let x = 1; // decaying part above sustain
  for (let i = 0; i < len; i++) {
    if (i < a) {
      level = i / a;
    } else if (i < holdLen) {
      x *= dMul;
      level = e.sustain + (1 - e.sustain) * x;
    } else {
      level *= rMul;
    }
    env[i] = level;
  }
}

export type Wave = "sine" | "saw" | "square" | "pulse25";

/**
 * Adds amp·env·osc(freq) to out[start..start+len) (clipped to the buffer), with optional vibrato
 * (vibratoDepth = relative frequency deviation). One specialised loop per waveform: this is the hot path.
 */
export function addOscillator(
  out: Float32Array,
  start: number,
  env: Float32Array,
  len: number,
  wave: Wave,
  freq: number,
  amp: number,
  sr: number,
  phase0 = 0,
  vibratoHz = 0,
  vibratoDepth = 0,
): void {
  const n = Math.min(len, out.length - start);
  const dt0 = freq / sr;
  let ph = phase0 - Math.floor(phase0);
  if (vibratoDepth > 0) {
    // Vibrato: recompute the increment every 32 samples (the LFO is slow).
    const vibInc = (32 * vibratoHz) / sr;
    let vph = 0;
    for (let b = 0; b < n; b += 32) {
      const dt = dt0 * (1 + vibratoDepth * sineCycles(vph));
      vph += vibInc;
      ph = oscBlock(out, start, env, b, Math.min(n, b + 32), wave, dt, amp, ph);
    }
    return;
  }
  oscBlock(out, start, env, 0, n, wave, dt0, amp, ph);
}

/** One run of samples [from, to) at a fixed increment; returns the phase after it. */
function oscBlock(out: Float32Array, start: number, env: Float32Array, from: number, to: number, wave: Wave, dt: number, amp: number, ph: number): number {
  if (wave === "sine") {
    for (let i = from; i < to; i++) {
      const p = ph * SINE_SIZE;
      const k = p | 0;
      const v = SINE_TABLE[k] + (p - k) * (SINE_TABLE[k + 1] - SINE_TABLE[k]);
      out[start + i] += amp * env[i] * v;
      ph += dt;
      if (ph >= 1) ph -= 1;
    }
  } else if (wave === "saw") {
    for (let i = from; i < to; i++) {
      let v = 2 * ph - 1;
      if (ph < dt || ph > 1 - dt) v -= polyBlep(ph, dt);
      out[start + i] += amp * env[i] * v;
      ph += dt;
      if (ph >= 1) ph -= 1;
    }
  } else {
    const width = wave === "square" ? 0.5 : 0.25;
    for (let i = from; i < to; i++) {
      let v = ph < width ? 1 : -1;
      v += polyBlep(ph, dt);
      let t2 = ph - width;
      if (t2 < 0) t2 += 1;
      v -= polyBlep(t2, dt);
      out[start + i] += amp * env[i] * v;
      ph += dt;
      if (ph >= 1) ph -= 1;
    }
  }
  return ph;
}

/** In-place 2-pole low-pass (two cascaded one-poles) at a fixed cutoff over out[start..start+len). */
export function lowpass2(out: Float32Array, start: number, len: number, cutoffHz: number, sr: number): void {
  const a = 1 - Math.exp((-2 * Math.PI * Math.min(cutoffHz, sr * 0.45)) / sr);
  let y1 = 0;
  let y2 = 0;
  const end = Math.min(out.length, start + len);
  for (let i = start; i < end; i++) {
    y1 += a * (out[i] - y1);
    y2 += a * (y1 - y2);
    out[i] = y2;
  }
}

/** In-place one-pole high-pass over a whole buffer. */
export function highpass1(out: Float32Array, cutoffHz: number, sr: number): void {
  const a = Math.exp((-2 * Math.PI * cutoffHz) / sr);
  let xPrev = 0;
  let y = 0;
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    y = a * (y + x - xPrev);
    xPrev = x;
    out[i] = y;
  }
}

/** Biquad band-pass (constant 0 dB peak), RBJ cookbook coefficients. */
export interface Biquad {
  b0: number;
  b2: number;
  a1: number;
  a2: number;
}
export function bandpassCoefficients(centerHz: number, q: number, sr: number): Biquad {
  const w = (2 * Math.PI * Math.min(centerHz, sr * 0.45)) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  return { b0: alpha / a0, b2: -alpha / a0, a1: (-2 * Math.cos(w)) / a0, a2: (1 - alpha) / a0 };
}

/**
 * Adds a formant-filtered source: `src` (already enveloped, length len) through parallel band-passes
 * with gains, into out at `start`.
 */
export function addFormants(
  out: Float32Array,
  start: number,
  src: Float32Array,
  len: number,
  filters: readonly Biquad[],
  gains: readonly number[],
): void {
  const n = Math.min(len, out.length - start);
  for (let f = 0; f < filters.length; f++) {
    const { b0, b2, a1, a2 } = filters[f];
    const g = gains[f];
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < n; i++) {
      const x = src[i];
      const y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      out[start + i] += g * y;
    }
  }
}

/**
 * Karplus–Strong plucked string added into out: a noise burst (low-passed by `brightness` 0..1) circulates
 * in a delay line of sr/freq samples with an averaging filter; `decaySec` sets the ring time.
 */
export function addPluck(
  out: Float32Array,
  start: number,
  len: number,
  freq: number,
  amp: number,
  brightness: number,
  decaySec: number,
  sr: number,
  noise: Noise,
  line: Float32Array,
): void {
  const period = Math.max(2, Math.min(line.length - 1, sr / freq));
  const p = Math.round(period); // integer delay: tuning error under half a sample
  // Loss per period so that amplitude falls by 60 dB over decaySec.
  const loss = Math.pow(0.001, period / (sr * Math.max(0.05, decaySec)));
  let lp = 0;
  const smooth = 0.15 + 0.8 * brightness;
  for (let i = 0; i < p; i++) {
    lp += smooth * (noise.next() - lp);
    line[i] = lp;
  }
  const n = Math.min(len, out.length - start);
  let idx = 0;
  let prev = line[p - 1];
  // Short fade-out at the end of the note so a cut string does not click.
  const fade = Math.min(n, Math.round(0.01 * sr));
  for (let i = 0; i < n; i++) {
    const cur = line[idx];
    const v = cur;
    const fed = loss * 0.5 * (cur + prev);
    prev = cur;
    line[idx] = fed;
    idx = idx + 1 < p ? idx + 1 : 0;
    const g = i >= n - fade ? (n - i) / fade : 1;
    out[start + i] += amp * g * v;
  }
}

/** Soft clipper: tanh-like rational curve, exact 0 at 0, saturates near ±1. */
export function softClip(x: number): number {
  if (x > 3) return 1;
  if (x < -3) return -1;
  const x2 = x * x;
  return (x * (27 + x2)) / (27 + 9 * x2);
}

/** In-place drive: pre-gain 1..(1+40·amount), soft clip, make-up gain so loud parts stay near 1. */
export function applyDrive(buf: Float32Array, amount: number): void {
  if (amount <= 0.01) return;
  const g = 1 + 40 * amount * amount;
  const makeup = 1 / softClip(g * 0.5);
  for (let i = 0; i < buf.length; i++) buf[i] = softClip(g * buf[i]) * makeup * 0.5;
}

/**
 * Schroeder reverb (4 damped combs in parallel, 2 allpasses in series) of `input`, returned as a new
 * buffer (wet only). `size` 0..1 scales delays and feedback.
 */
export function schroederReverb(input: Float32Array, size: number, sr: number): Float32Array {
  const n = input.length;
  const wet = new Float32Array(n);
  const scale = (sr / 44100) * 44.1 * (0.6 + 0.8 * size);
  const feedback = 0.7 + 0.25 * size;
  const damp = 0.3;
  // The four combs run in one pass (one read of the input, one write of the output).
  const d0 = Math.round(29.7 * scale);
  const d1 = Math.round(37.1 * scale);
  const d2 = Math.round(41.1 * scale);
  const d3 = Math.round(43.7 * scale);
  const l0 = new Float32Array(d0);
  const l1 = new Float32Array(d1);
  const l2 = new Float32Array(d2);
  const l3 = new Float32Array(d3);
  let i0 = 0;
  let i1 = 0;
  let i2 = 0;
  let i3 = 0;
  let f0 = 0;
  let f1 = 0;
  let f2 = 0;
  let f3 = 0;
  const keep = 1 - damp;
  for (let i = 0; i < n; i++) {
    const x = input[i];
    const y0 = l0[i0];
    const y1 = l1[i1];
    const y2 = l2[i2];
    const y3 = l3[i3];
    f0 = y0 * keep + f0 * damp;
    f1 = y1 * keep + f1 * damp;
    f2 = y2 * keep + f2 * damp;
    f3 = y3 * keep + f3 * damp;
    l0[i0] = x + feedback * f0;
    l1[i1] = x + feedback * f1;
    l2[i2] = x + feedback * f2;
    l3[i3] = x + feedback * f3;
    if (++i0 === d0) i0 = 0;
    if (++i1 === d1) i1 = 0;
    if (++i2 === d2) i2 = 0;
    if (++i3 === d3) i3 = 0;
    wet[i] = y0 + y1 + y2 + y3;
  }
  // Two allpasses in series, also in one pass; the 0.25 output gain folded in.
  const a0 = Math.round(5.0 * 44.1 * (sr / 44100));
  const a1 = Math.round(1.7 * 44.1 * (sr / 44100));
  const m0 = new Float32Array(a0);
  const m1 = new Float32Array(a1);
  let j0 = 0;
  let j1 = 0;
  const g = 0.5;
  for (let i = 0; i < n; i++) {
    const x = wet[i];
    const u = -g * x + m0[j0];
    m0[j0] = x + g * u;
    if (++j0 === a0) j0 = 0;
    const v = -g * u + m1[j1];
    m1[j1] = u + g * v;
    if (++j1 === a1) j1 = 0;
    wet[i] = 0.25 * v;
  }
  return wet;
}

/** Adds `shot` (a one-shot sample) into out at `start`, scaled by gain. */
export function addShot(out: Float32Array, shot: Float32Array, start: number, gain: number): void {
  const n = Math.min(shot.length, out.length - start);
  for (let i = 0; i < n; i++) out[start + i] += gain * shot[i];
}

/** MIDI note → Hz (A4 = 440). */
export function midiToHz(midi: number): number {
  return 440 * Math.pow(2, (midi - 69) / 12);
}
