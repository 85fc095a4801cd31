// Bench-only: the spectrogram cache's build speed (bench/audio.ts, cache_clips_per_s). Out of src/ because no
// library stage or client uses it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveCacheParams, runCacheJobs } from "../../src/features/cache";
import { cacheDirName, type CacheJob } from "../../src/features/cache-format";
import { UsageError } from "../../src/util/errors";

/**
 * Clips per second of a fresh cache build over the mp3 files in `clipsDir` (flat NNNNNN.mp3 or nested
 * NNN/NNNNNN.mp3), with `workers` threads, features included. The cache goes to a temp folder, removed after.
 */
export async function cacheThroughput(clipsDir: string, workers: number): Promise<number> {
  const jobs: CacheJob[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^\d{6}\.mp3$/i.test(e.name)) jobs.push({ trackId: Number(e.name.slice(0, 6)), path: p });
    }
  };
  walk(clipsDir);
  if (jobs.length === 0) throw new UsageError(`no NNNNNN.mp3 clips under ${clipsDir}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-cache-bench-"));
  try {
    const params = resolveCacheParams(clipsDir, null, {});
    const summary = await runCacheJobs(path.join(tmp, cacheDirName(params)), params, jobs, { workers, silent: true });
    return summary.clipsPerS;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
