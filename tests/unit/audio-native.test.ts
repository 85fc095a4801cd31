// The native audio path against its WASM twin and against librosa's default path: libmpg123 vs the WASM
// mpg123 (synthetic and real clips), libsoxr soxr_hq vs clips-soxr_hq's PCM, and what happens when a library
// is absent (auto: one notice, then WASM; native: an error naming the library).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeMp3, loadAudioBytes, resolveDecoder, resolveResampler, resampleAs, toMono } from "../../src/audio";
import { decodeWithMpg123, decodeWithMpg123Split, resetMpg123ForTests } from "../../src/audio/mpg123-native";
import { scanMp3 } from "../../src/audio/decode";
import { resetSoxrForTests } from "../../src/audio/soxr-native";
import { resetNativeLibrariesForTests } from "../../src/native/library";
import { audioEngines } from "../helpers/audio-engines";
import { encodeToneMp3, readF32, referenceDir, sampleAudioDir } from "../helpers/audio-reference";

const native = audioEngines()[0];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

// Measured: identical lengths; max |Δ| 5.1e-6 on the 8 real clips (float32 rounding inside the two builds'
// synthesis filters), ≤ 2e-6 on lamejs tones. The tolerance below is 2× the worst measured.
const DECODE_TOL = 1e-5;

test("[native] libmpg123 decodes what the WASM mpg123 decodes: synthetic clips, all rates, mono and stereo", { skip: native.skip }, async (t) => {
  let worst = 0;
  for (const rate of [44100, 48000, 32000, 22050, 16000, 11025, 8000]) {
    for (const channels of [1, 2] as const) {
      const mp3 = encodeToneMp3({ sampleRate: rate, channels, durationS: 1.5, kbps: rate >= 32000 ? 128 : 64, freqs: [440, 3000] });
      const n = await decodeMp3(mp3, "n.mp3", { engine: "native" });
      const w = await decodeMp3(mp3, "w.mp3", { engine: "wasm" });
      assert.equal(n.decoder, "libmpg123");
      assert.equal(w.decoder, "mpg123-wasm");
      assert.equal(n.sampleRate, w.sampleRate);
      assert.equal(n.channels.length, w.channels.length);
      n.channels.forEach((ch, c) => {
        assert.equal(ch.length, w.channels[c].length, `${rate} Hz ${channels} ch: length`);
        worst = Math.max(worst, maxAbsDiff(ch, w.channels[c]));
      });
    }
  }
  t.diagnostic(`max |native − wasm| over synthetic clips: ${worst.toExponential(2)}`);
  assert.ok(worst <= DECODE_TOL, `max |Δ| ${worst}`);
});

test("[native] real clips: libmpg123 vs WASM within tolerance; mono + soxr_hq is librosa.load's PCM", { skip: native.skip }, async (t) => {
  const audio = sampleAudioDir();
  const ref = referenceDir();
  if (!audio || !ref) return t.skip("../shared/fma-sample or ../shared/reference absent");
  for (const file of fs.readdirSync(audio).filter((f) => f.endsWith(".mp3")).sort()) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(audio, file)));
    const n = await decodeMp3(bytes, file, { engine: "native" });
    const w = await decodeMp3(bytes, file, { engine: "wasm" });
    let d = 0;
    n.channels.forEach((ch, c) => {
      assert.equal(ch.length, w.channels[c].length);
      d = Math.max(d, maxAbsDiff(ch, w.channels[c]));
    });
    assert.ok(d <= DECODE_TOL, `${file}: max |native − wasm| ${d}`);
    const refFile = path.join(ref, "clips-soxr_hq", `${file.slice(0, -4)}.pcm22050.f32`);
    if (!fs.existsSync(refFile)) continue;
    const want = readF32(refFile);
    const got = resampleAs(toMono(n.channels), n.sampleRate, 22050, "soxr_hq");
    assert.equal(got.length, want.length, `${file}: length`);
    // Measured 0 (bit for bit): the same libmpg123 and libsoxr with the same recipe.
    const e = maxAbsDiff(got, want);
    t.diagnostic(`${file}: native vs wasm ${d.toExponential(2)}, PCM vs clips-soxr_hq ${e.toExponential(2)}`);
    assert.ok(e <= 1e-7, `${file}: PCM max |Δ| ${e}`);
  }
});

test("[native] soxr_hq output length is librosa's ceil(n·ratio) for odd lengths and rates", { skip: native.skip }, () => {
  for (const [n, from, to] of [[44101, 44100, 22050], [1000, 48000, 22050], [12345, 8000, 22050], [7, 44100, 22050]]) {
    const x = new Float32Array(n).map((_, i) => Math.sin(i / 5));
    const y = resampleAs(x, from, to, "soxr_hq");
    assert.equal(y.length, Math.ceil(n * (to / from)), `${n} @ ${from} → ${to}`);
  }
  assert.deepEqual(resampleAs(new Float32Array([1, 2]), 22050, 22050, "soxr_hq"), new Float32Array([1, 2]));
});

test("absent libraries: auto falls back with one notice, native is an error naming the library, wasm never looks", async () => {
  const absent = { linux: ["libmpg123-absent.so.0"], darwin: ["/nonexistent/libmpg123.dylib"], win32: ["absent.dll"] };
  const absentSoxr = { linux: ["libsoxr-absent.so.0"], darwin: ["/nonexistent/libsoxr.dylib"], win32: ["absent.dll"] };
  const lines: string[] = [];
  const original = console.error;
  console.error = (l: string) => void lines.push(String(l));
  try {
    resetNativeLibrariesForTests();
    resetMpg123ForTests(absent);
    resetSoxrForTests(absentSoxr);
    assert.equal(resolveDecoder("wasm"), "mpg123-wasm");
    assert.equal(resolveResampler(undefined, "wasm"), "kaiser_best");
    assert.throws(() => resolveResampler("soxr_hq", "wasm"), /soxr_hq needs libsoxr/);
    assert.throws(() => resolveDecoder("native"), /FMALAB_AUDIO=native: libmpg123 could not be loaded.*libmpg123-absent/);
    assert.throws(() => resolveResampler(undefined, "native"), /FMALAB_AUDIO=native: libsoxr could not be loaded/);
    assert.equal(resolveDecoder("auto"), "mpg123-wasm");
    assert.equal(resolveDecoder("auto"), "mpg123-wasm");
    assert.equal(resolveResampler(undefined, "auto"), "kaiser_best");
    assert.equal(resolveResampler("kaiser_fast", "auto"), "kaiser_fast");
    const mp3 = encodeToneMp3({ sampleRate: 44100, channels: 2, durationS: 1.5 });
    const a = await loadAudioBytes(mp3, "x.mp3", { engine: "auto" });
    assert.equal(a.decoder, "mpg123-wasm");
    assert.equal(a.resampler, "kaiser_best");
    await assert.rejects(loadAudioBytes(mp3, "x.mp3", { engine: "native" }), /FMALAB_AUDIO=native: lib(mpg123|soxr) could not be loaded/);
    assert.equal(lines.filter((l) => l.includes("libmpg123 not found")).length, 1, lines.join("\n"));
    assert.equal(lines.filter((l) => l.includes("libsoxr not found")).length, 1, lines.join("\n"));
    assert.throws(() => resolveResampler("soxr_vhq" as never, "auto"), /res_type must be one of soxr_hq, kaiser_best, kaiser_fast/);
  } finally {
    console.error = original;
    resetNativeLibrariesForTests();
    resetMpg123ForTests();
    resetSoxrForTests();
  }
});

test("[native] two-thread decode (second half by a seeking handle) is the one-thread decode bit for bit", { skip: native.skip }, async (t) => {
  const clips: [string, Uint8Array][] = [];
  for (const [rate, channels] of [[44100, 2], [48000, 1], [22050, 2]] as const) {
    clips.push([`${rate}-${channels}.mp3`, encodeToneMp3({ sampleRate: rate, channels, durationS: 6, kbps: 128, freqs: [440, 3000] })]);
  }
  const audio = sampleAudioDir();
  if (audio) for (const f of fs.readdirSync(audio).filter((x) => x.endsWith(".mp3")).sort()) clips.push([f, new Uint8Array(fs.readFileSync(path.join(audio, f)))]);
  for (const [name, bytes] of clips) {
    for (const mixToMono of [false, true]) {
      const one = await decodeMp3(bytes, name, { engine: "native", mixToMono, threads: 1 });
      const two = await decodeMp3(bytes, name, { engine: "native", mixToMono, threads: 2 });
      assert.equal(two.channels.length, one.channels.length, `${name}: channels`);
      // Tolerance 0: the seeking handle's 8 warm-up frames rebuild the decoder state exactly.
      one.channels.forEach((ch, c) => assert.deepEqual(two.channels[c], ch, `${name} (mono ${mixToMono}) channel ${c}`));
    }
  }
  // The split itself ran (not its one-thread fallback) and gave the same interleaved samples.
  const [name, bytes] = clips[0];
  const scan = scanMp3(bytes, name);
  const audioBytes = bytes.subarray(scan.audioStart);
  const expected = scan.frames * scan.first.samplesPerFrame;
  const split = await decodeWithMpg123Split(audioBytes, expected, 2, (r) => r.interleaved.slice());
  assert.ok(split, "the two-thread decode fell back on a clean stereo clip");
  assert.deepEqual(split, decodeWithMpg123(audioBytes, expected, 2).interleaved);
  // Two at once: the second falls back to one thread and both still decode the same samples.
  const [a, b] = await Promise.all([decodeMp3(clips[0][1], "a", { engine: "native", threads: 2 }), decodeMp3(clips[0][1], "b", { engine: "native", threads: 2 })]);
  assert.deepEqual(a.channels, b.channels);
  t.diagnostic(`${clips.length} clips identical`);
});
