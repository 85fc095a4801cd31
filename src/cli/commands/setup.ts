// `fmalab setup`: make sure the Python that runs Jupyter has what the notebooks need (nbclient, nbconvert,
// jupyter_client; the classic notebook server for `fmalab lab`), installing Debian's packages when we can
// (root on Debian/Ubuntu), and that Jupyter sees the project's fmalab-tslab kernel.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { parseCommandArgs, type CliCommand } from "../command";
import { PROJECT_ROOT } from "../../util/fs";
import {
  JUPYTER_MODULES,
  NOTEBOOK_KERNEL_NAME,
  jupyterEnv,
  jupyterPython,
  missingPythonModules,
} from "../../notebook";

/** Debian packages providing the Python modules (all are installed together: one apt run). */
export const JUPYTER_APT_PACKAGES = ["jupyter-nbconvert", "jupyter-client", "jupyter-notebook", "python3-nbclient", "python3-nbformat"];
/** Debian packages of the native audio path (libmpg123, libsoxr; libmp3lame encodes the synthetic dataset; the WASM path runs without them). */
export const AUDIO_APT_PACKAGES = ["libmpg123-0", "libsoxr0", "libmp3lame0"];
/** Homebrew formulae providing the same libraries on macOS. */
export const AUDIO_BREW_FORMULAE = ["mpg123", "libsoxr", "lame"];

/** The pip command for everything else (a venv/conda Python, macOS, non-root). */
export const JUPYTER_PIP_COMMAND = "python3 -m pip install nbconvert nbclient jupyter_client nbformat notebook";

export interface EnsureJupyterOptions {
  /** Install Debian packages when something is missing and we are root on Debian/Ubuntu. */
  install: boolean;
  /** Also require the notebook server (for `fmalab lab`). */
  lab?: boolean;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

export interface JupyterStatus {
  python: string;
  ok: boolean;
  /** Python modules still missing after any install. */
  missing: string[];
}

function isDebianRoot(python: string): boolean {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const aptGet = fs.existsSync("/usr/bin/apt-get");
  // Debian packages install into /usr/bin/python3 only.
  return root && aptGet && fs.existsSync("/etc/debian_version") && python === "/usr/bin/python3";
}

/** Run a command with output streamed through, stdin closed; resolves to its exit status. */
function runStreaming(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], env });
    child.on("error", (err) => {
      console.error(`cannot run ${command}: ${err.message}`);
      resolve(127);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/**
 * Check (and with `install`, install) the Jupyter Python modules. `ok` is true when nothing is missing;
 * otherwise `missing` lists them and the log says how to install them.
 */
export async function ensureJupyter(options: EnsureJupyterOptions): Promise<JupyterStatus> {
  const log = options.log ?? ((line: string) => console.log(line));
  const python = jupyterPython();
  const modules = [...JUPYTER_MODULES.execute, ...(options.lab ? JUPYTER_MODULES.lab : [])];
  let missing = await missingPythonModules(python, modules);
  if (missing.length === 0) return { python, ok: true, missing };

  log(`Jupyter: ${python} lacks ${missing.join(", ")}`);
  if (options.install && isDebianRoot(python)) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    log("installing Debian's Jupyter packages: apt-get update && apt-get install -y " + JUPYTER_APT_PACKAGES.join(" "));
    const updated = await runStreaming("apt-get", ["update"], env);
    if (updated !== 0) log(`apt-get update exited with ${updated}; trying the install anyway`);
    const installed = await runStreaming("apt-get", ["install", "-y", "--no-install-recommends", ...JUPYTER_APT_PACKAGES], env);
    if (installed !== 0) log(`apt-get install exited with ${installed}`);
    missing = await missingPythonModules(python, modules);
    if (missing.length === 0) return { python, ok: true, missing };
  }
  log(
    [
      `Jupyter is not ready: ${python} cannot import ${missing.join(", ")}.`,
      "Install it with one of:",
      `  sudo apt-get install -y ${JUPYTER_APT_PACKAGES.join(" ")}     (Debian/Ubuntu; then use /usr/bin/python3)`,
      `  ${JUPYTER_PIP_COMMAND}     (any Python; then set FMALAB_PYTHON=/path/to/that/python3)`,
    ].join("\n"),
  );
  return { python, ok: false, missing };
}

/** Which native audio libraries load; `fresh` forgets earlier lookups first (after an install). */
async function nativeAudioStatus(fresh: boolean): Promise<{ missing: string[]; found: string[] }> {
  const { resetNativeLibrariesForTests, nativeFindings } = await import("../../native/library");
  const { resetMpg123ForTests, nativeMpg123 } = await import("../../audio/mpg123-native");
  const { resetSoxrForTests, nativeSoxr } = await import("../../audio/soxr-native");
  if (fresh) {
    resetNativeLibrariesForTests();
    resetMpg123ForTests();
    resetSoxrForTests();
  }
  const ok = { mpg123: nativeMpg123() !== null, soxr: nativeSoxr() !== null };
  const findings = nativeFindings();
  const file = (n: string) => findings.find((f) => f.name === n)?.file ?? "";
  return {
    found: (["mpg123", "soxr"] as const).filter((n) => ok[n]).map((n) => `lib${n} (${file(n)})`),
    missing: (["mpg123", "soxr"] as const).filter((n) => !ok[n]).map((n) => `lib${n}`),
  };
}

/**
 * Check (and with `install`, apt-get install as root on Debian/Ubuntu) libmpg123 and libsoxr. Never fails
 * the setup: without them the audio path is the WASM one (slower, soxr_hq replaced by kaiser_best).
 */
export async function ensureNativeAudio(options: { install: boolean; log?: (line: string) => void }): Promise<{ missing: string[] }> {
  const log = options.log ?? ((line: string) => console.log(line));
  let status = await nativeAudioStatus(false);
  if (status.missing.length > 0 && options.install && isDebianRoot("/usr/bin/python3")) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    log("installing the native audio libraries: apt-get install -y " + AUDIO_APT_PACKAGES.join(" "));
    const installed = await runStreaming("apt-get", ["install", "-y", "--no-install-recommends", ...AUDIO_APT_PACKAGES], env);
    if (installed !== 0) log(`apt-get install exited with ${installed}`);
    status = await nativeAudioStatus(true);
  }
  if (status.found.length > 0) log(`native audio: ${status.found.join(", ")}`);
  if (status.missing.length > 0) {
    log(
      `native audio: ${status.missing.join(", ")} not found; audio uses the WASM path (slower; kaiser_best instead of soxr_hq). Install with:\n` +
        `  sudo apt-get install -y ${AUDIO_APT_PACKAGES.join(" ")}     (Debian/Ubuntu)\n  brew install ${AUDIO_BREW_FORMULAE.join(" ")}     (macOS)`,
    );
  }
  return { missing: status.missing };
}

/** Debian's OpenBLAS (numpy's BLAS): the training GEMMs. macOS has Accelerate. */
export const BLAS_APT_PACKAGES = ["libopenblas0-pthread"];

/**
 * Check (and with `install`, apt-get install as root on Debian/Ubuntu) the system BLAS, and build fmalab's
 * native kernels (scripts/build-addon.mjs, as npm install does) when they are not built. Never fails the
 * setup: without them training runs on the wasm kernels, on one core.
 */
export async function ensureNativeTraining(options: { install: boolean; log?: (line: string) => void }): Promise<{ blas: boolean; kernels: boolean }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const blasModule = await import("../../native/blas");
  let blas = blasModule.loadBlas();
  if (!blas && options.install && isDebianRoot("/usr/bin/python3")) {
    log("installing the system BLAS: apt-get install -y " + BLAS_APT_PACKAGES.join(" "));
    const installed = await runStreaming("apt-get", ["install", "-y", "--no-install-recommends", ...BLAS_APT_PACKAGES], { ...process.env, DEBIAN_FRONTEND: "noninteractive" });
    if (installed !== 0) log(`apt-get install exited with ${installed}`);
    (await import("../../native/library")).resetNativeLibrariesForTests();
    blasModule.resetBlasForTests();
    blas = blasModule.loadBlas();
  }
  log(blas ? `training BLAS: ${blas.library} (${blas.file})` : `training BLAS: not found (${blasModule.blasError()}); install with: sudo apt-get install -y ${BLAS_APT_PACKAGES.join(" ")}`);
  const kernelsModule = await import("../../native/kernels");
  let kernels = kernelsModule.loadNativeKernels() !== null;
  if (!kernels && options.install) {
    await runStreaming(process.execPath, [path.join(PROJECT_ROOT, "scripts", "build-addon.mjs")], process.env);
    kernelsModule.resetNativeKernelsForTests();
    kernels = kernelsModule.loadNativeKernels() !== null;
  }
  log(kernels ? `native kernels: ${path.relative(PROJECT_ROOT, kernelsModule.NATIVE_KERNELS_FILE)}` : `native kernels: not built (${kernelsModule.nativeKernelsError()})`);
  return { blas: blas !== null, kernels };
}

/** Whether `jupyter kernelspec list` (with the project's JUPYTER_PATH) shows the fmalab-tslab kernel. */
export function projectKernelVisible(python: string): { ok: boolean; detail: string } {
  const result = spawnSync(python, ["-m", "jupyter", "kernelspec", "list", "--json"], { env: jupyterEnv(), encoding: "utf8" });
  if (result.status !== 0) return { ok: false, detail: (result.stderr || result.error?.message || "").trim() };
  try {
    const specs = (JSON.parse(result.stdout) as { kernelspecs: Record<string, { resource_dir: string }> }).kernelspecs;
    const spec = specs[NOTEBOOK_KERNEL_NAME];
    return spec ? { ok: true, detail: spec.resource_dir } : { ok: false, detail: `not among ${Object.keys(specs).join(", ")}` };
  } catch (err) {
    return { ok: false, detail: `unreadable kernelspec list: ${(err as Error).message}` };
  }
}

const usage = `Usage: fmalab setup [--no-install]

Checks that the Jupyter Python (FMALAB_PYTHON, else /usr/bin/python3, else python3) can import
nbformat, nbclient, jupyter_client, nbconvert and notebook (the classic server for fmalab lab), installs Debian's packages
when missing and running as root on Debian/Ubuntu, and checks that Jupyter finds the project kernel
"${NOTEBOOK_KERNEL_NAME}" (jupyter/kernels/, through JUPYTER_PATH) and that tslab is installed.

Also checks for the native audio libraries (libmpg123, libsoxr: Debian ${AUDIO_APT_PACKAGES.join(" ")}, Homebrew
${AUDIO_BREW_FORMULAE.join(" ")}) and installs them the same way; without them audio runs on the WASM path.
Likewise the training BLAS (Debian ${BLAS_APT_PACKAGES.join(" ")}; Accelerate on macOS), and builds fmalab's
native kernels (node-gyp, a C++ compiler) when npm install could not; without them training runs on one core.

Options:
  --no-install   only check; print how to install what is missing`;

export const command: CliCommand = {
  name: "setup",
  summary: "check for Jupyter (nbconvert, nbclient, jupyter_client) and install it where possible",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { "no-install": { type: "boolean" } }, usage);
    await ensureNativeAudio({ install: !values["no-install"] });
    await ensureNativeTraining({ install: !values["no-install"] });
    const status = await ensureJupyter({ install: !values["no-install"], lab: true });
    if (!status.ok) return 1;
    console.log(`Jupyter: ${status.python} has ${[...JUPYTER_MODULES.execute, ...JUPYTER_MODULES.lab].join(", ")}`);
    const tslab = path.join(PROJECT_ROOT, "node_modules", "tslab", "dist", "main.js");
    if (!fs.existsSync(tslab)) {
      console.error(`tslab is not installed (${tslab} missing): run npm ci`);
      return 1;
    }
    const kernel = projectKernelVisible(status.python);
    if (!kernel.ok) {
      console.error(`Jupyter does not see the ${NOTEBOOK_KERNEL_NAME} kernel: ${kernel.detail}`);
      return 1;
    }
    console.log(`kernel: ${NOTEBOOK_KERNEL_NAME} at ${path.relative(PROJECT_ROOT, kernel.detail)} (tslab from node_modules)`);
    return 0;
  },
};
