// Full-size parity with ../shared/reference (librosa 0.11): every synthetic signal, and the log-mel of
// all 8 real clips computed from librosa's own 22.05 kHz PCM (so only the mel stage is compared).
// Skips when ../shared is absent (users' clones).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { logMelSpectrogram, melFilterbank, melSpectrogram, powerToDb, stftPower } from "../../src/features/melspec";
import { absErrorStats, maxAbsError, maxRelativeError, readF32, referenceDir } from "../helpers/audio-reference";

const REF = referenceDir();
const REL_TOL = 1e-4;
const DB_TOL = 0.01;

interface RefIndex {
  files: Record<string, number[]>;
}

function signalNames(index: RefIndex): string[] {
  return Object.keys(index.files)
    .filter((f) => f.startsWith("signals/"))
    .map((f) => f.slice("signals/".length, -".f32".length));
}

test("full reference: filterbank", (t) => {
  if (!REF) return t.skip("../shared/reference absent");
  const err = maxRelativeError(melFilterbank().toDense(), readF32(path.join(REF, "mel_fb_sr22050_nfft2048_nmels128.f32")));
  assert.ok(err <= REL_TOL, `relative error ${err}`);
});

test("full reference: every synthetic signal (STFT power, mel power, dB)", (t) => {
  if (!REF) return t.skip("../shared/reference absent");
  const index = JSON.parse(fs.readFileSync(path.join(REF, "index.json"), "utf8")) as RefIndex;
  const names = signalNames(index);
  assert.ok(names.length >= 5, `signals: ${names.join(", ")}`);
  for (const name of names) {
    const pcm = readF32(path.join(REF, "signals", `${name}.f32`));
    if (index.files[`${name}.stft_power.f32`]) {
      const err = maxRelativeError(stftPower(pcm).data, readF32(path.join(REF, `${name}.stft_power.f32`)));
      assert.ok(err <= REL_TOL, `${name}: stft relative error ${err}`);
    }
    const mel = melSpectrogram(pcm);
    assert.deepEqual([mel.nMels, mel.nFrames], index.files[`${name}.mel_power.f32`], name);
    const melErr = maxRelativeError(mel.data, readF32(path.join(REF, `${name}.mel_power.f32`)));
    assert.ok(melErr <= REL_TOL, `${name}: mel relative error ${melErr}`);
    const dbErr = maxAbsError(powerToDb(mel).data, readF32(path.join(REF, `${name}.logmel_db.f32`)));
    assert.ok(dbErr <= DB_TOL, `${name}: dB max |Δ| ${dbErr}`);
    t.diagnostic(`${name}: mel rel ${melErr.toExponential(2)}, dB max |Δ| ${dbErr.toExponential(2)}`);
  }
});

test("full reference: 8 real clips, librosa PCM → log-mel dB", (t) => {
  if (!REF) return t.skip("../shared/reference absent");
  const index = JSON.parse(fs.readFileSync(path.join(REF, "index.json"), "utf8")) as RefIndex;
  const ids = Object.keys(index.files)
    .filter((f) => f.endsWith(".pcm22050.f32"))
    .map((f) => path.basename(f).split(".")[0]);
  assert.equal(ids.length, 8);
  for (const id of ids) {
    const db = logMelSpectrogram(readF32(path.join(REF, "clips", `${id}.pcm22050.f32`)));
    const ref = readF32(path.join(REF, "clips", `${id}.logmel_db.f32`));
    assert.deepEqual([db.nMels, db.nFrames], index.files[`clips/${id}.logmel_db.f32`], id);
    const s = absErrorStats(db.data, ref);
    t.diagnostic(`${id}: dB mean |Δ| ${s.mean.toExponential(2)}, p99 ${s.p99.toExponential(2)}, max ${s.max.toExponential(2)}`);
    assert.ok(s.max <= DB_TOL, `${id}: dB max |Δ| ${s.max}`);
  }
});
