// The co-occurrence figure is over genres_all subgenres (the top-genre matrix is the identity, since a track
// with a genre_top has all its genres under that one root): on the main job's synthetic dataset (its
// metadata: 400 tracks, default seed) and on the real 8-clip sample it has non-zero off-diagonal cells.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_SYNTH_SEED, DEFAULT_SYNTH_TRACKS } from "../../src/data/synth";
import { formatTracksCsv, readSynthGenresCsv, synthesizeTracks } from "../../src/data/synth/metadata";
import { figuresOptions, gatherReportInputs } from "../../src/study/figures";
import { buildReportFigures } from "../../src/plots/figures";
import { sharedDir } from "../../src/util/fs";

function offDiagonalNonZero(values: ReadonlyArray<ReadonlyArray<number | null>>): number {
  let n = 0;
  values.forEach((row, i) => row.forEach((v, j) => (i !== j && v !== null && v > 0 ? n++ : 0)));
  return n;
}

async function cooccurrenceOf(dataDir: string) {
  const { inputs, missing } = await gatherReportInputs(figuresOptions({ dataDir, runsDir: path.join(dataDir, "no-runs"), outDir: path.join(dataDir, "no-figures"), saliency: "none" }));
  assert.ok(inputs.cooccurrence, `no co-occurrence input: ${missing.join("; ")}`);
  return inputs.cooccurrence;
}

function checkFigure(c: NonNullable<Awaited<ReturnType<typeof cooccurrenceOf>>>): void {
  assert.ok(c.labels.length >= 2 && c.labels.length <= 20);
  // Named subgenres with their top genre and support, no root genre among them.
  for (const l of c.labels) assert.match(l, /^.+ \((Electronic|Experimental|Folk|Hip-Hop|Instrumental|International|Pop|Rock), \d+\)$/);
  assert.ok(c.values.every((row, i) => row[i] === null), "diagonal left blank");
  const { figures, problems } = buildReportFigures({ cooccurrence: c });
  assert.deepEqual(problems, []);
  const svg = figures[0].content;
  assert.match(svg, /Subgenre co-occurrence in genres_all/);
  // A real colour bar: 64 stripes and its label.
  assert.ok((svg.match(/<rect x="4" y="[\d.]+" width="12"/g) ?? []).length >= 64, "colour bar stripes");
  assert.match(svg, /rotate\(-90\)[^>]*>Jaccard</);
}

test("co-occurrence on the synthetic dataset's metadata: genres_all subgenres with non-zero off-diagonal cells", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cooc-"));
  try {
    const meta = path.join(dir, "fma_metadata");
    fs.mkdirSync(meta, { recursive: true });
    fs.writeFileSync(path.join(meta, "genres.csv"), readSynthGenresCsv());
    fs.writeFileSync(path.join(meta, "tracks.csv"), formatTracksCsv(synthesizeTracks({ tracks: DEFAULT_SYNTH_TRACKS, seed: DEFAULT_SYNTH_SEED, withBadClips: false })));
    const c = await cooccurrenceOf(dir);
    assert.equal(c.labels.length, 20);
    assert.ok(offDiagonalNonZero(c.values) > 0, "an off-diagonal cell is non-zero");
    checkFigure(c);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("co-occurrence on the real 8-clip sample: non-zero off-diagonal cells", { skip: !sharedDir() || !fs.existsSync(path.join(sharedDir()!, "fma-sample", "tracks.csv")) ? "no ../shared/fma-sample" : false }, async () => {
  const c = await cooccurrenceOf(path.join(sharedDir()!, "fma-sample"));
  assert.ok(offDiagonalNonZero(c.values) > 0, "an off-diagonal cell is non-zero");
  checkFigure(c);
});
