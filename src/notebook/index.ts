// Notebook execution and format rules (used by `fmalab notebooks`, `fmalab lab`, the main job and tests).
export {
  NOTEBOOK_KERNEL_NAME,
  PROJECT_JUPYTER_DIR,
  NOTEBOOKS_DIR,
  JUPYTER_MODULES,
  jupyterPython,
  jupyterEnv,
  missingPythonModules,
} from "./jupyter";
export {
  executeNotebook,
  listNotebooks,
  cleanKernelErrorText,
  NotebookExecutionError,
  type ExecuteNotebookOptions,
  type NotebookResult,
  type NotebookCellTiming,
} from "./execute";
export { checkNotebookFormat, clearNotebookOutputs, cellSourceText } from "./format";
export {
  DIST_FORMAT,
  distPaths,
  distStatus,
  sourceFingerprint,
  readDistFingerprint,
  compareFingerprints,
  describeChanges,
  staleDistNotice,
  declarationCompiler,
  type DistFingerprint,
  type DistStatus,
} from "./declarations";
export { buildDeclarations, ensureDeclarations, type BuildDeclarationsOptions, type DeclarationsBuild } from "./dist-build";
