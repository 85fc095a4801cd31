// The study's run plan: which runs it trains (in notebook 03's order; the main job trains them first so
// the notebooks reuse them), each one's training configuration and id.
import type { TrainConfigInput } from "../train/config";
import { isFeatureModel } from "../models/zoo";
import type { StudyConfig } from "./config";
import type { SplitPlan } from "./splits";

export interface StudyRunPlanItem {
  model: string;
  overrides?: Partial<TrainConfigInput>;
  /** What the run is for (one line). */
  purpose: string;
  /** The study's default model (the report's headline numbers). */
  main: boolean;
}

/** The run id of the study's run of a model: study-<data kind>-<sizes>-<model>. */
export function studyRunId(cfg: StudyConfig, model: string): string {
  return `study-${cfg.dataKind}-${cfg.sizes.name}-${model}`;
}

/** A training config with the study's sizes (override any field). */
export function studyTrainConfig(cfg: StudyConfig, model: string, overrides: Partial<TrainConfigInput> = {}): TrainConfigInput {
  const s = cfg.sizes;
  const isFeatures = isFeatureModel(model);
  return {
    model,
    modelOptions: !isFeatures && model === s.model ? s.modelOptions : undefined,
    data: cfg.dataDir,
    runsDir: cfg.runsDir,
    runId: studyRunId(cfg, model),
    epochs: isFeatures ? s.baselineEpochs : s.epochs,
    batchSize: s.batchSize,
    lr: isFeatures ? 1e-2 : s.lr,
    seed: cfg.seed,
    evalCrops: isFeatures ? 1 : s.evalCrops,
    trainCropsPerTrack: isFeatures ? 1 : s.trainCropsPerTrack,
    earlyStopping: { patience: cfg.full ? 5 : 0 },
    ...overrides,
  };
}

/** Overrides of the class-weighted twin of the study's CNN (notebook 03; the report's class-weights figure). */
export function classWeightedOverrides(cfg: StudyConfig): Partial<TrainConfigInput> {
  return { classWeights: true, runId: `${studyRunId(cfg, cfg.sizes.model)}-cw` };
}

/** Overrides of the seed's ImprovedMusicGenreCNNv2 run in the full settings (notebook 03's full cell). */
export const SEED_V2_FULL_OVERRIDES: Partial<TrainConfigInput> = { modelOptions: undefined, epochs: 30, batchSize: 16, lr: 1e-4, evalCrops: 1 };

/**
 * Training tracks per genre of a split plan, and whether they are equal: then balanced class weights
 * (n / (k · n_c)) are all exactly 1, and a class-weighted run would train the same model as the plain one.
 */
export function trainingGenreBalance(split: Pick<SplitPlan, "tracks">): { counts: Record<string, number>; balanced: boolean } {
  const counts: Record<string, number> = {};
  for (const t of split.tracks) if (t.split === "training") counts[t.genre] = (counts[t.genre] ?? 0) + 1;
  const values = Object.values(counts);
  return { counts, balanced: values.length > 0 && values.every((v) => v === values[0]) };
}

/** Why the class-weighted twin is not in the plan (null when it is, or in the quick settings). */
export function classWeightedTwinSkipped(cfg: StudyConfig, split: Pick<SplitPlan, "tracks">): string | null {
  if (cfg.quick) return null;
  const { counts, balanced } = trainingGenreBalance(split);
  if (!balanced) return null;
  const n = Object.values(counts)[0];
  return `class weights are all 1 on this balanced training split (${n} tracks in each of ${Object.keys(counts).length} genres), so the class-weighted twin would train the default model again: not trained`;
}

/**
 * The runs notebook 03 trains, in its order: the default CNN, the two feature baselines, the class-weighted
 * CNN (not in the quick settings, nor on a balanced training split, where its weights are all 1) and, in the
 * full settings, the seed's model.
 */
export function studyRunPlan(cfg: StudyConfig, split: Pick<SplitPlan, "tracks">): StudyRunPlanItem[] {
  const plan: StudyRunPlanItem[] = [
    { model: cfg.sizes.model, purpose: "the study's default model", main: true },
    { model: "feat_logreg", purpose: "feature baseline (logistic regression)", main: false },
    { model: "feat_mlp", purpose: "feature baseline (MLP)", main: false },
  ];
  if (!cfg.quick && !classWeightedTwinSkipped(cfg, split)) {
    plan.push({ model: cfg.sizes.model, overrides: classWeightedOverrides(cfg), purpose: "class-weighted twin of the default model", main: false });
  }
  if (cfg.full) plan.push({ model: "seed_improved_v2", overrides: SEED_V2_FULL_OVERRIDES, purpose: "the seed's ImprovedMusicGenreCNNv2 (full settings)", main: false });
  return plan;
}
