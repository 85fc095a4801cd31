// Image inputs made from a log-mel spectrogram.
//
// seedImage reproduces the seed project's CNN input: it drew `librosa.display.specshow(db, cmap='magma')`
// (a matplotlib pcolormesh, colour limits = the clip's own min/max dB, low frequencies at the bottom)
// into a 775×308-pixel PNG without axes, then loaded it as RGB and resized it to 224×224 with PIL's
// bilinear filter (torchvision's Resize default on PIL images), keeping 0–255 values unnormalised.
// Each step is a function here: renderSpectrogramRgb (pcolormesh, no antialiasing: every pixel takes
// the colour of the cell under its centre) and resizeBilinearRgb (Pillow's resampling: a triangle
// filter stretched by the scale factor when shrinking, 8-bit rounding after each pass).
//
// normalisedLogMel is the input for our own models: a fixed dB range, not per-clip statistics, so
// loudness differences between clips survive: x = (dB + 80) / 80, clamped to [0, 1]. With
// powerToDb(ref "max", topDb 80) every value is in [−80, 0] dB, so the map is exact and invertible.
import type { Spectrogram } from "./melspec";
import { MAGMA_LUT, colormapIndex } from "./colormap";

/** The seed's image: 224×224 RGB, HWC float32 in 0…255. */
export interface SeedImage {
  data: Float32Array;
  height: 224;
  width: 224;
}

export const SEED_RENDER_WIDTH = 775;
export const SEED_RENDER_HEIGHT = 308;
export const SEED_IMAGE_SIZE = 224;

/**
 * Colour a spectrogram (rows = mel bands, low first) into an RGB image of `width`×`height` pixels
 * (HWC uint8, row 0 at the top = highest band), like matplotlib's pcolormesh with automatic colour
 * limits (vmin/vmax = the data's min/max) and 8-bit rounding of the colormap.
 */
export function renderSpectrogramRgb(spec: Spectrogram, width: number, height: number, lut: Float32Array = MAGMA_LUT): Uint8Array {
  const { data, nMels, nFrames } = spec;
  if (nMels < 1 || nFrames < 1) throw new RangeError(`renderSpectrogramRgb: empty spectrogram (${nMels}×${nFrames})`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  // 8-bit colour table (matplotlib's Agg backend rounds each channel to the nearest of 0…255).
  const lut8 = new Uint8Array(lut.length);
  for (let i = 0; i < lut.length; i++) lut8[i] = Math.round(lut[i] * 255);
  const colOf = new Int32Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.min(nFrames - 1, Math.floor(((x + 0.5) * nFrames) / width));
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const band = nMels - 1 - Math.min(nMels - 1, Math.floor(((y + 0.5) * nMels) / height));
    const rowBase = band * nFrames;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      // matplotlib Normalize: vmin == vmax maps everything to 0.
      const t = range > 0 ? (data[rowBase + colOf[x]] - lo) / range : 0;
      const c = 3 * colormapIndex(t);
      out[o++] = lut8[c];
      out[o++] = lut8[c + 1];
      out[o++] = lut8[c + 2];
    }
  }
  return out;
}

interface Coeffs {
  bounds: Int32Array; // [start, count] per output pixel
  weights: Float64Array; // ksize per output pixel
  ksize: number;
}

// Pillow's precompute_coeffs for the bilinear (triangle) filter, support 1.
function resampleCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const arg = Math.abs((x + xmin - center + 0.5) * ss);
      const w = arg < 1 ? 1 - arg : 0;
      weights[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x] /= ww;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

function clip8(v: number): number {
  const r = Math.floor(v + 0.5);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * Resize an HWC uint8 image with `channels` channels like Pillow's `Image.resize(size, BILINEAR)`:
 * horizontal pass then vertical pass, each rounded to 8 bits.
 */
export function resizeBilinearRgb(src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, channels = 3): Uint8Array {
  if (src.length !== width * height * channels) throw new RangeError(`resizeBilinearRgb: ${src.length} bytes is not ${width}×${height}×${channels}`);
  let cur = src;
  let w = width;
  if (outWidth !== width) {
    const c = resampleCoeffs(width, outWidth);
    const tmp = new Uint8Array(outWidth * height * channels);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = c.bounds[2 * xx];
        const n = c.bounds[2 * xx + 1];
        for (let ch = 0; ch < channels; ch++) {
          let acc = 0;
          for (let x = 0; x < n; x++) acc += cur[(y * w + xmin + x) * channels + ch] * c.weights[xx * c.ksize + x];
          tmp[(y * outWidth + xx) * channels + ch] = clip8(acc);
        }
      }
    }
    cur = tmp;
    w = outWidth;
  }
  if (outHeight !== height) {
    const c = resampleCoeffs(height, outHeight);
    const tmp = new Uint8Array(w * outHeight * channels);
    for (let yy = 0; yy < outHeight; yy++) {
      const ymin = c.bounds[2 * yy];
      const n = c.bounds[2 * yy + 1];
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < channels; ch++) {
          let acc = 0;
          for (let y = 0; y < n; y++) acc += cur[((ymin + y) * w + x) * channels + ch] * c.weights[yy * c.ksize + y];
          tmp[(yy * w + x) * channels + ch] = clip8(acc);
        }
      }
    }
    cur = tmp;
  }
  return cur === src ? src.slice() : cur;
}

/** The seed's CNN input from a dB spectrogram: magma render at 775×308, bilinear to 224×224, HWC 0…255. */
export function seedImage(db: Spectrogram): SeedImage {
  const full = renderSpectrogramRgb(db, SEED_RENDER_WIDTH, SEED_RENDER_HEIGHT, MAGMA_LUT);
  const small = resizeBilinearRgb(full, SEED_RENDER_WIDTH, SEED_RENDER_HEIGHT, SEED_IMAGE_SIZE, SEED_IMAGE_SIZE, 3);
  return { data: Float32Array.from(small), height: 224, width: 224 };
}

export interface NormalisedLogMel {
  /** height × width row-major, row 0 = lowest band (librosa order), values in [0, 1]. */
  data: Float32Array;
  height: number;
  width: number;
}

/** The fixed dB range mapped to [0, 1] by normalisedLogMel. */
export const LOGMEL_DB_FLOOR = -80;

/**
 * Model input: (dB + 80) / 80 clamped to [0, 1], width = frames. With `height` ≠ the band count the band
 * axis is resampled with the same triangle filter as resizeBilinearRgb (area-weighted when shrinking).
 */
export function normalisedLogMel(db: Spectrogram, opts: { height?: number } = {}): NormalisedLogMel {
  const height = opts.height ?? 128;
  if (!Number.isInteger(height) || height < 1) throw new RangeError(`normalisedLogMel: height must be a positive integer, got ${height}`);
  const { nMels, nFrames } = db;
  const scaled = new Float32Array(nMels * nFrames);
  for (let i = 0; i < scaled.length; i++) {
    const v = (db.data[i] - LOGMEL_DB_FLOOR) / -LOGMEL_DB_FLOOR;
    scaled[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  if (height === nMels) return { data: scaled, height, width: nFrames };
  const c = resampleCoeffs(nMels, height);
  const out = new Float32Array(height * nFrames);
  for (let yy = 0; yy < height; yy++) {
    const ymin = c.bounds[2 * yy];
    const n = c.bounds[2 * yy + 1];
    for (let y = 0; y < n; y++) {
      const w = c.weights[yy * c.ksize + y];
      const row = (ymin + y) * nFrames;
      for (let t = 0; t < nFrames; t++) out[yy * nFrames + t] += w * scaled[row + t];
    }
  }
  return { data: out, height, width: nFrames };
}
