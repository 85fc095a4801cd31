// The study stage's settings (src/study) and the five study notebooks executed on the real
// 8-clip sample (../shared/fma-sample: 1–2 tracks per genre, so training there is a smoke run that must
// not crash). Tests that need ../shared skip, saying so, when it is absent.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, listNotebooks } from "../../src/notebook";
import * as study from "../../src/study";
import { mostSalientWindow } from "../../src/analysis/saliency";
import { cropSpectrogram } from "../../src/plots/spectrogram";
import { audioExcerptHtml } from "../../src/plots/audio";
import { openDataset } from "../../src/data";
import { decodeMp3 } from "../../src/audio";
import { PROJECT_ROOT } from "../../src/util/fs";

const SAMPLE = path.resolve(PROJECT_ROOT, "..", "shared", "fma-sample");
const hasSample = fs.existsSync(path.join(SAMPLE, "tracks.csv"));
const STUDY_NOTEBOOKS = ["01-data-exploration", "02-spectrograms", "03-training", "04-misclassification-analysis", "05-report-figures"];

test("studyConfig: one variable picks the data; FMALAB_TEST → quick sizes, FMALAB_FULL → full sizes (never both)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-study-"));
  const before = { data: process.env.FMALAB_DATA, fma: process.env.FMA_DIR };
  try {
    fs.writeFileSync(path.join(tmp, "synth.json"), "{}");
    const quick = study.studyConfig({ FMALAB_DATA: tmp, FMALAB_TEST: "1" });
    assert.equal(quick.dataDir, tmp);
    assert.equal(quick.dataKind, "synthetic");
    assert.equal(quick.quick, true);
    assert.equal(quick.full, false);
    assert.equal(quick.sizes.name, "quick");

    const full = study.studyConfig({ FMA_DIR: tmp, FMALAB_FULL: "1" });
    assert.equal(full.dataDir, tmp, "FMA_DIR is used when FMALAB_DATA is not set");
    assert.equal(full.full, true);
    assert.equal(full.sizes.name, "full");
    assert.equal(full.sizes.tracksPerGenre, null, "full settings use every track");

    const both = study.studyConfig({ FMALAB_DATA: tmp, FMALAB_FULL: "1", FMALAB_TEST: "1" });
    assert.equal(both.full, false, "the test runner never runs the full settings");

    const plain = study.studyConfig({ FMALAB_DATA: tmp, FMALAB_FULL: "0" });
    assert.equal(plain.sizes.name, "default");
    assert.equal(plain.full, false);

    fs.rmSync(path.join(tmp, "synth.json"));
    assert.equal(study.studyConfig({ FMALAB_DATA: tmp }).dataKind, "fma");
    // A relative FMALAB_DATA is taken from the project root (the kernel's cwd).
    assert.equal(study.studyConfig({ FMALAB_DATA: "data/x" }).dataDir, path.join(PROJECT_ROOT, "data", "x"));
    // The process environment is left as it was.
    assert.deepEqual({ data: process.env.FMALAB_DATA, fma: process.env.FMA_DIR }, before);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("studySizes returns independent copies of the presets", () => {
  const a = study.studySizes("default");
  a.tracksPerGenre!.training = 999;
  assert.notEqual(study.studySizes("default").tracksPerGenre!.training, 999);
  assert.ok(study.studySizes("quick").epochs < study.studySizes("default").epochs);
  assert.ok(study.studySizes("quick").cache.clipSeconds <= study.studySizes("default").cache.clipSeconds);
});

test("coversEverySplit: every genre needs a track in training, validation and test", () => {
  const t = (split: "training" | "validation" | "test", genre: string) => ({ split, genre });
  assert.equal(study.coversEverySplit([t("training", "Rock"), t("validation", "Rock"), t("test", "Rock")]), true);
  assert.equal(study.coversEverySplit([t("training", "Rock"), t("validation", "Rock"), t("test", "Rock"), t("training", "Pop")]), false);
  assert.equal(study.coversEverySplit([t("training", "Rock"), t("test", "Rock")]), false);
});

test("mostSalientWindow finds the stretch of time holding the most saliency", () => {
  const nMels = 4;
  const nFrames = 50;
  const map = new Float32Array(nMels * nFrames);
  for (let m = 0; m < nMels; m++) for (let t = 30; t < 35; t++) map[m * nFrames + t] = m === 0 ? -2 : 1; // signs do not matter
  map[5] = 0.5;
  const w = mostSalientWindow(map, nMels, nFrames, 5);
  assert.equal(w.startFrame, 30);
  const total = 5 * (2 + 3) + 0.5;
  assert.ok(Math.abs(w.share - 25 / total) < 1e-9, `share ${w.share}`);
  assert.deepEqual(mostSalientWindow(new Float32Array(8), 2, 4, 2), { startFrame: 0, share: 0 });
});

test("cropSpectrogram keeps the rows and cuts the frames", () => {
  const spec = { data: Float32Array.from({ length: 2 * 6 }, (_, i) => i), nMels: 2, nFrames: 6 };
  const c = cropSpectrogram(spec, 2, 3);
  assert.equal(c.nFrames, 3);
  assert.deepEqual(Array.from(c.data), [2, 3, 4, 8, 9, 10]);
  assert.equal(cropSpectrogram(spec, 4, 10).nFrames, 2, "clamped at the end");
});

test("audioExcerptHtml embeds a playable MP3 of the requested excerpt", async () => {
  const sr = 22050;
  const pcm = Float32Array.from({ length: sr * 4 }, (_, i) => 1.5 * Math.sin((2 * Math.PI * 440 * i) / sr)); // clipped peak on purpose
  const html = await audioExcerptHtml(pcm, sr, { startS: 1, seconds: 2, caption: "a <tone>" });
  const m = /src="data:audio\/mpeg;base64,([^"]+)"/.exec(html);
  assert.ok(m, "an <audio> element with an MP3 data URI");
  assert.match(html, /a &lt;tone&gt;/, "the caption is escaped");
  const decoded = await decodeMp3(new Uint8Array(Buffer.from(m![1], "base64")), "excerpt");
  const seconds = decoded.channels[0].length / decoded.sampleRate;
  assert.ok(Math.abs(seconds - 2) < 0.15, `decoded ${seconds} s, expected ≈ 2 s`);
  let peak = 0;
  for (const v of decoded.channels[0]) peak = Math.max(peak, Math.abs(v));
  assert.ok(peak > 0.5 && peak <= 1.0, `peak ${peak}: scaled below clipping, not silent`);
});

test("studyTrackIds on the real sample: per split and genre, first tracks by id, clips present", (t) => {
  if (!hasSample) return t.skip("../shared/fma-sample absent");
  const cfg = study.studyConfig({ FMALAB_DATA: SAMPLE, FMALAB_TEST: "1" });
  assert.equal(cfg.dataKind, "sample");
  const ds = openDataset(cfg.dataDir);
  const ids = study.studyTrackIds(cfg, ds);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const perGroup = new Map<string, number>();
  for (const id of ids) {
    const r = ds.tracks.byId(id)!;
    assert.ok(r.split && r.genreTop, `track ${id} has a split and a genre`);
    assert.ok(fs.existsSync(ds.audioPathOf(id)));
    const key = `${r.split}/${r.genreTop}`;
    perGroup.set(key, (perGroup.get(key) ?? 0) + 1);
  }
  for (const [key, n] of perGroup) {
    const split = key.split("/")[0] as "training" | "validation" | "test";
    assert.ok(n <= cfg.sizes.tracksPerGenre![split], `${key}: ${n} tracks`);
  }
  // The sample has every labelled clip within the quick limits, and no genre in every split: a smoke run.
  assert.equal(ids.length, ds.tracks.records.filter((r) => r.split && r.genreTop).length);
  assert.equal(study.isSmokeRun(cfg, ds), true);
  assert.deepEqual(study.countBySplit(ids.map((id) => ({ split: ds.tracks.byId(id)!.split! }))), {
    training: ds.tracks.split("training").size,
    validation: ds.tracks.split("validation").size,
    test: ds.tracks.split("test").size,
  });
});

for (const name of STUDY_NOTEBOOKS) {
  test(`notebook ${name} executes on the real 8-clip sample`, async (t) => {
    if (!hasSample) return t.skip("../shared/fma-sample absent");
    const file = listNotebooks().find((f) => path.basename(f) === `${name}.ipynb`);
    assert.ok(file, `notebooks/${name}.ipynb exists`);
    const outPath = path.join(PROJECT_ROOT, "out", "notebooks-sample", `${name}.ipynb`);
    await executeNotebook(file!, { outPath, dataDir: SAMPLE, cellTimeoutSeconds: Number(process.env.FMALAB_CELL_TIMEOUT ?? 600) });
    const executed = JSON.parse(fs.readFileSync(outPath, "utf8")) as { cells: Array<{ outputs?: Array<{ text?: string | string[] }> }> };
    const text = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? "")).join("\n");
    assert.match(text, /fma-sample/, "the notebook says which data it ran on");
    if (name === "03-training") assert.match(text, /smoke run/, "training on the sample is announced as a smoke run");
  });
}
