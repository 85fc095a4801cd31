// `fmalab <command>`: the project's command line. Subcommands are registered in COMMANDS below.
import type { CliCommand } from "./command";
import { InputError, UsageError } from "../util/errors";
import { configureCompute, computeSettingsFromEnv } from "../native/settings";
import { QUIET_ENV, setQuiet } from "../util/progress";

type Loader = () => Promise<CliCommand>;

/** name → [summary, loader]. Summaries are here so `--help` needs no imports. */
const COMMANDS: Record<string, [string, Loader]> = {
  setup: ["check for Jupyter (nbconvert, nbclient, jupyter_client) and install it where possible", async () => (await import("./commands/setup")).command],
  synth: ["generate the embedded FMA-shaped synthetic dataset (CSV + mp3)", async () => (await import("./commands/synth")).command],
  download: ["download and verify the official FMA archives (resumable, SHA1-checked, safe unzip)", async () => (await import("./commands/download")).command],
  spectrograms: ["build the resumable, parallel log-mel spectrogram + feature cache", async () => (await import("./commands/spectrograms")).command],
  slurm: ["run the spectrogram cache or a sweep as a Slurm job array (resubmits only what is incomplete)", async () => (await import("./commands/slurm")).command],
  sweep: ["train every point of a hyperparameter grid (resumable runs), then compare them in a table and figure", async () => (await import("./commands/sweep")).command],
  train: ["train a model (checkpoints every epoch, --resume, test evaluation at the end)", async () => (await import("./commands/train")).command],
  evaluate: ["evaluate a run's best model on the test split (metrics, CIs, confusion, embeddings)", async () => (await import("./commands/evaluate")).command],
  figures: ["regenerate the report figures (SVG + PNG, interactive HTML) into figures/", async () => (await import("./commands/figures")).command],
  notebooks: ["execute every notebook headlessly into out/notebooks/", async () => (await import("./commands/notebooks")).command],
  lab: ["open the notebooks in Jupyter with the project's tslab kernel", async () => (await import("./commands/lab")).command],
  "study-train": ["train items of the study's run plan (the main job's background tasks)", async () => (await import("./commands/study-train")).command],
  main: ["the main job (npm start): Jupyter, data, pipeline steps, notebooks, out/report/index.html", async () => (await import("./commands/main")).command],
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, [summary]]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    "fmalab — music-genre classification on the Free Music Archive",
    "",
    "Usage: fmalab <command> [options]   (fmalab <command> --help for its options)",
    "",
    "Commands:",
    ...lines,
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  // The one place the CLI reads FMALAB_BACKEND / FMALAB_BLAS / FMALAB_BLAS_THREADS / FMALAB_AUDIO.
  configureCompute(computeSettingsFromEnv(process.env));
  const [name, ...rest] = argv;
  try {
    // The environment is read here, once (FMALAB_AUDIO, FMALAB_BLAS, …); library code reads the settings.
    configureCompute(computeSettingsFromEnv(process.env));
  } catch (err) {
    console.error(`fmalab: ${(err as Error).message}`);
    return 2;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`fmalab: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const command = await entry[1]();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  // --quiet (declared by the commands that take it), or a parent's, turns every progress line and notice off;
  // the environment hands it on to the processes this one starts.
  if (rest.includes("--quiet") || process.env[QUIET_ENV] === "1") {
    setQuiet(true);
    process.env[QUIET_ENV] = "1";
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError) {
      console.error(`fmalab ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.stack ?? err.message : err);
      process.exit(1);
    },
  );
}
