// The synthetic dataset's MP3 encoder: libmp3lame in-process (src/native/lame.ts) against its WASM twin
// (wasm-media-encoders), both LAME 3.100. Their bytes differ (the native build writes the LAME/Info tag
// and runs at quality 7), so the twins are compared on what a decoder gives back.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeMp3 } from "../../src/audio/decode";
import { encodeMp3, mp3EncoderInfo, resolveMp3Encoder } from "../../src/data/synth/mp3";
import { generateSyntheticDataset } from "../../src/data/synth";
import { nativeLame } from "../../src/native/lame";

const lame = nativeLame();
const skip = lame ? false : "libmp3lame is not installed (Debian libmp3lame0): the native encoder is untested here";

function tone(sr: number, seconds: number, hz: number, amp: number): Float32Array {
  const n = Math.round(sr * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / sr);
  return x;
}

const rmsDb = (x: Float32Array) => 10 * Math.log10(x.reduce((s, v) => s + v * v, 0) / x.length);

/** Energy at `hz` (Goertzel) relative to the total: where a codec puts the tone. */
function toneShare(x: Float32Array, sr: number, hz: number): number {
  const w = (2 * Math.PI * hz) / sr;
  let s1 = 0, s2 = 0, total = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += x[i] * x[i];
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
  return (2 * power) / (x.length * total);
}

test("native LAME: gapless (as many samples as went in), close to the source, the same level and tone as the WASM twin", { skip }, async () => {
  for (const [sr, channels, kbps] of [[44100, 2, 128], [48000, 2, 128], [32000, 2, 96], [22050, 1, 64]] as const) {
    const src = [tone(sr, 3, 440, 0.4), tone(sr, 3, 660, 0.3)].slice(0, channels);
    const native = await decodeMp3(await encodeMp3(src, sr, kbps, "lame-native"), "native.mp3", { engine: "wasm" });
    const wasm = await decodeMp3(await encodeMp3(src, sr, kbps, "lame-wasm"), "wasm.mp3", { engine: "wasm" });
    const where = `${sr} Hz, ${channels} ch, ${kbps} kbps`;
    assert.equal(native.sampleRate, sr, where);
    assert.equal(native.channels.length, channels, where);
    // The LAME/Info tag lets the decoder drop the encoder delay and padding exactly.
    assert.equal(native.channels[0].length, src[0].length, where);
    let err = 0, sig = 0;
    for (let i = 0; i < src[0].length; i++) {
      err += (native.channels[0][i] - src[0][i]) ** 2;
      sig += src[0][i] ** 2;
    }
    // Measured 24–25 dB SNR on these tones (sample-aligned, so the codec's phase error counts too).
    assert.ok(10 * Math.log10(sig / err) >= 18, `${where}: SNR ${(10 * Math.log10(sig / err)).toFixed(1)} dB`);
    // The WASM build writes no tag (its output carries the encoder delay): compare level and spectrum, not samples.
    assert.ok(Math.abs(rmsDb(native.channels[0]) - rmsDb(wasm.channels[0])) < 0.5, `${where}: levels differ`);
    assert.ok(Math.abs(toneShare(native.channels[0], sr, 440) - toneShare(wasm.channels[0], sr, 440)) < 0.05, `${where}: the 440 Hz tone's share differs`);
  }
});

test("native LAME: the same input gives the same bytes; bad input is a clear error", { skip }, async () => {
  const x = [tone(44100, 1, 300, 0.5), tone(44100, 1, 500, 0.5)];
  const a = await encodeMp3(x, 44100, 128, "lame-native");
  const b = await encodeMp3(x, 44100, 128, "lame-native");
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
  await assert.rejects(encodeMp3([x[0], x[1], x[0]], 44100, 128, "lame-native"), /1 or 2 channels, got 3/);
  await assert.rejects(encodeMp3([x[0], x[1].subarray(10)], 44100, 128, "lame-native"), /channels differ in length/);
  await assert.rejects(encodeMp3([x[0]], 44123, 128, "lame-native"), /44123 Hz is not an MPEG rate/);
});

test("the encoder setting: wasm forces the WASM build, auto takes libmp3lame when it loads; synth.json names it", async () => {
  assert.equal(resolveMp3Encoder("wasm"), "lame-wasm");
  assert.equal(resolveMp3Encoder("auto"), lame ? "lame-native" : "lame-wasm");
  if (!lame) assert.throws(() => resolveMp3Encoder("native"), /libmp3lame .* not available/);
  assert.deepEqual(mp3EncoderInfo("lame-wasm").quality, null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-synth-enc-"));
  try {
    await generateSyntheticDataset(dir, { tracks: 8, duration: 1, workers: 1, progress: false, encoder: "wasm" });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "synth.json"), "utf8"));
    assert.equal(manifest.encoder.name, "lame-wasm");
    // A resume keeps the dataset's encoder whatever is asked now (every clip shares one).
    fs.writeFileSync(path.join(dir, "synth.json"), JSON.stringify({ ...manifest, status: "generating" }));
    await generateSyntheticDataset(dir, { tracks: 8, duration: 1, workers: 1, progress: false, encoder: "auto" });
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "synth.json"), "utf8")).encoder.name, "lame-wasm");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
