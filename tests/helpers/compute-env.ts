// Imported first by the tf/train test files: applies FMALAB_BLAS / FMALAB_BLAS_THREADS / FMALAB_BACKEND from
// the environment (the test runner sets FMALAB_BLAS=off for its second pass), as the CLI does at its start.
import { configureCompute, computeSettingsFromEnv } from "../../src/native/settings";

configureCompute(computeSettingsFromEnv(process.env));
