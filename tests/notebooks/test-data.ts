// Which dataset the notebook tests run the notebooks on: FMALAB_DATA when set; else the main job's
// data/synthetic when completely generated; else a small deterministic synthetic dataset generated once into
// cache/notebook-test-synth (32 tracks of 10 s; about half a minute on 2 cores, then reused).
// Synthetic data exists everywhere (CI, users' clones), so the tests do not depend on ../shared.
import * as fs from "node:fs";
import * as path from "node:path";
import { checkDataset } from "../../src/data";
import { PROJECT_ROOT } from "../../src/util/fs";

export const NOTEBOOK_TEST_SYNTH = { tracks: 32, duration: 10, seed: 20240 } as const;

/** Whether a synthetic dataset finished generating (synth.json status; a run may be in progress). */
function synthComplete(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "synth.json"), "utf8")) as { status?: string }).status === "complete";
  } catch {
    return false;
  }
}

export async function notebookTestDataDir(): Promise<string> {
  if (process.env.FMALAB_DATA) return path.resolve(PROJECT_ROOT, process.env.FMALAB_DATA);
  const mainSynthetic = path.join(PROJECT_ROOT, "data", "synthetic");
  if (checkDataset(mainSynthetic, "small").length === 0 && synthComplete(mainSynthetic)) return mainSynthetic;
  const dir = path.join(PROJECT_ROOT, "cache", "notebook-test-synth");
  const { ensureSyntheticDataset } = await import("../../src/data/synth");
  try {
    await ensureSyntheticDataset(dir, { ...NOTEBOOK_TEST_SYNTH, progress: false });
  } catch (err) {
    // Made by another generator version or parameters: it is only a test cache, so remake it.
    if (!/other parameters/.test(String(err))) throw err;
    fs.rmSync(dir, { recursive: true, force: true });
    await ensureSyntheticDataset(dir, { ...NOTEBOOK_TEST_SYNTH, progress: false });
  }
  return dir;
}
