// `npm run bench -- <suite> [options]`: prints one JSON document on stdout (progress goes to stderr) and
// writes the same document to out/bench/<suite>.json. npm prints its own "> script" banner on stdout
// before it: use `npm run -s bench -- <suite>` (or the file) when piping the JSON into another tool.
// Timings are medians of several runs after a warm-up.
import * as path from "node:path";
import { PROJECT_ROOT, writeFileAtomic } from "../src/util/fs";
import { configureCompute, computeSettingsFromEnv } from "../src/native/settings";
const SUITES: Record<string, () => Promise<{ run(argv: string[]): Promise<unknown> }>> = {
  audio: async () => import("./audio"),
  train: async () => import("./train"),
  umap: async () => import("./umap"),
  synth: async () => import("./synth"),
  scale: async () => import("./scale"),
};

async function main(): Promise<void> {
  configureCompute(computeSettingsFromEnv(process.env));
  const [suite, ...rest] = process.argv.slice(2);
  if (!suite || !SUITES[suite]) {
    console.error(`usage: npm run bench -- <${Object.keys(SUITES).join("|")}> [options]`);
    process.exit(2);
  }
  const mod = await SUITES[suite]();
  const result = await mod.run(rest);
  const json = JSON.stringify(result, null, 2) + "\n";
  // A suite's per-model child processes (--child) report to their parent, which writes the file.
  if (!rest.includes("--child")) writeFileAtomic(path.join(PROJECT_ROOT, "out", "bench", `${suite}.json`), json);
  process.stdout.write(json);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
