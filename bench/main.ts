// `npm run bench -- <suite> [options]`: prints one JSON document on stdout (progress goes to stderr).
// Timings are medians of several runs after a warm-up.
const SUITES: Record<string, () => Promise<{ run(argv: string[]): Promise<unknown> }>> = {
  audio: async () => import("./audio"),
  train: async () => import("./train"),
  umap: async () => import("./umap"),
  synth: async () => import("./synth"),
};

async function main(): Promise<void> {
  const [suite, ...rest] = process.argv.slice(2);
  if (!suite || !SUITES[suite]) {
    console.error(`usage: npm run bench -- <${Object.keys(SUITES).join("|")}> [options]`);
    process.exit(2);
  }
  const mod = await SUITES[suite]();
  const result = await mod.run(rest);
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
