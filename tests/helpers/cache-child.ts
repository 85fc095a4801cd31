// Child process for the spectrogram-cache kill test: builds a cache, waiting after each clip so the
// parent can kill it midway (the wait is an explicit library option, not an environment switch).
//   node --import tsx tests/helpers/cache-child.ts DATA_DIR CACHE_ROOT CLIP_SECONDS DELAY_MS
import { buildSpectrogramCache } from "../../src/features/cache";

async function main(): Promise<void> {
  const [dataDir, cacheRoot, clipSeconds, delayMs] = process.argv.slice(2);
  await buildSpectrogramCache({ dataDir, cacheRoot, clipSeconds: Number(clipSeconds), workers: 1, silent: true, clipDelayMs: Number(delayMs) });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
