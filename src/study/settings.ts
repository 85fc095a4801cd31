// The study's settings from the environment: with src/cli/, the only place that reads process.env.
// The notebooks call studyConfig() here (a tslab kernel has no command line); the CLI builds its
// StudyConfig from flags and the same variables through studyConfigInputFromEnv.
//
//   FMALAB_DATA (or FMA_DIR)  the dataset folder (default: data/synthetic, generated on demand)
//   FMALAB_FULL=1             the full fma_small sizes (every track, full-length training)
//   FMALAB_TEST=1             the quick sizes (set by the test runner; wins over FMALAB_FULL)
//   FMALAB_RETRAIN=1          train the study's runs even when finished ones of the same configuration exist
//   FMALAB_SPLITS=smoke|resplit|stop   what to do when the official splits cannot support the study
import * as path from "node:path";
import { UsageError } from "../util/errors";
import { PROJECT_ROOT } from "../util/fs";
import { DEFAULT_DATA_DIR, makeStudyConfig, SPLIT_POLICIES, type SplitPolicy, type StudyConfig, type StudyConfigInput } from "./config";

export type Env = Readonly<Record<string, string | undefined>>;

/** "1", "true", "yes" … are on; unset, "", "0" and "false" are off. */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** The study choices an environment asks for (see the top of this file). Pure: pass the environment in. */
export function studyConfigInputFromEnv(env: Env): StudyConfigInput {
  const quick = truthy(env.FMALAB_TEST);
  const full = truthy(env.FMALAB_FULL) && !quick;
  const splits = env.FMALAB_SPLITS;
  if (splits !== undefined && splits !== "" && !(SPLIT_POLICIES as readonly string[]).includes(splits)) {
    throw new UsageError(`FMALAB_SPLITS=${splits}: expected one of ${SPLIT_POLICIES.join(", ")}`);
  }
  return {
    dataDir: env.FMALAB_DATA || env.FMA_DIR || undefined,
    sizes: quick ? "quick" : full ? "full" : "default",
    // The tests train live: runs are never reused in the quick sizes.
    retrain: quick || truthy(env.FMALAB_RETRAIN),
    splitPolicy: splits ? (splits as SplitPolicy) : undefined,
  };
}

/** The dataset folder an environment names: FMALAB_DATA, else FMA_DIR, else the default (relative: from the project root). */
export function dataDirFromEnv(env: Env): string {
  return path.resolve(PROJECT_ROOT, env.FMALAB_DATA || env.FMA_DIR || DEFAULT_DATA_DIR);
}

/** The study's configuration from an environment (default: this process's, e.g. a notebook kernel's). */
export function studyConfig(env: Env = process.env): StudyConfig {
  return makeStudyConfig(studyConfigInputFromEnv(env));
}

/** Whether FMALAB_MAIN_SERIAL asks the main job to train its runs one after the other. */
export function mainSerialFromEnv(env: Env): boolean {
  return truthy(env.FMALAB_MAIN_SERIAL);
}

/** This process's environment, for the tools that hand it on to child processes (Jupyter kernels). */
export function processEnvironment(): Env {
  return process.env;
}
