// Choosing the tfjs backend: tfjs-node (native TensorFlow) when it is installed, else the wasm backend
// with our training kernels (src/tf/wasm-kernels) and, where the system BLAS loads, the convolution and
// matrix kernels on it (src/tf/blas-kernels), else the pure-JS cpu backend. The choice follows the explicit
// options, then computeSettings() (src/native/settings.ts: FMALAB_BACKEND, FMALAB_BLAS, FMALAB_BLAS_THREADS
// applied by the edges), never the environment itself.
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerWasmTrainingKernels } from "./wasm-kernels";
import { registerBlasKernels, setActiveBlas } from "./blas-kernels";
import { registerBatchNormTraining } from "./fused-ops/batch-norm-training";
import { registerActivationGradients } from "./fused-ops/activation-grad";
import { registerNativeLeakyRelu } from "./fused-ops/leaky-relu";
import { setActiveNativeKernels } from "./native-engine";
import { loadNativeKernels, nativeKernelsError } from "../native/kernels";
import { blasError, defaultBlasThreads, loadBlas } from "../native/blas";
import { noticeOnce } from "../native/library";
import { computeSettings } from "../native/settings";

export type BackendName = "tensorflow" | "wasm" | "cpu";

/** The system BLAS under the wasm backend's convolution and matrix kernels. */
export interface BlasEngine {
  /** What the library says it is ("OpenBLAS 0.3.21 … SkylakeX", "Accelerate", or its file). */
  library: string;
  file: string;
  /** Its threads (null where they cannot be set or read at run time, e.g. Accelerate). */
  threads: number | null;
  /** fmalab's native kernels beside it (src/native/addon), or null: their JavaScript twins compute. */
  nativeKernels: string | null;
}

export interface BackendChoice {
  backend: string;
  /** The backend's own threads (wasm: 1 in Node); the BLAS threads are in `blas`. */
  threads: number;
  /** wasm only: the BLAS in use, or null (off, or not found: the wasm kernels compute). */
  blas?: BlasEngine | null;
  /** One line naming the engine: backend, BLAS library, threads. */
  engine: string;
  note: string;
}

export interface InitBackendOptions {
  /** Force one backend (else computeSettings().backend, set from FMALAB_BACKEND by the edges). */
  backend?: BackendName;
  /** Compute threads: the BLAS threads under wasm (else computeSettings().blasThreads, else one per core). */
  threads?: number;
  /** Print the choice on stderr (default true). */
  log?: boolean;
}

let current: BackendChoice | null = null;
let tfjsNodeTried: { ok: boolean; error?: string } | null = null;

/** Load the optional native binding (@tensorflow/tfjs-node, aliased tfjs-node-optional); never throws. */
function tryLoadTfjsNode(): { ok: boolean; error?: string } {
  if (tfjsNodeTried) return tfjsNodeTried;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require("tfjs-node-optional");
    tfjsNodeTried = { ok: tf.findBackend("tensorflow") != null || tf.engine().registryFactory["tensorflow"] != null };
  } catch (err) {
    tfjsNodeTried = { ok: false, error: (err as Error).message.split("\n")[0] };
  }
  return tfjsNodeTried;
}

function loadWasmPackage(): typeof import("@tensorflow/tfjs-backend-wasm") {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  const dist = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
  wasm.setWasmPaths(dist);
  return wasm;
}

const WASM_THREADS_NOTE =
  "wasm runs single-threaded in Node: tfjs-backend-wasm 4.22 disables threads under Node (tfjs issue #3830) " +
  "and forcing WASM_HAS_MULTITHREAD_SUPPORT fails (its pthread worker is a blob: URL, which Node's Worker refuses)";

/** The backend chosen by initBackend (null before). */
export function currentBackend(): BackendChoice | null {
  return current;
}

/**
 * Select the fastest available tfjs backend: tensorflow (tfjs-node) → wasm (+ our training kernels) → cpu.
 * Idempotent: later calls return the first choice unless they ask for a different backend.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendChoice> {
  const wanted = opts.backend ?? computeSettings().backend;
  if (wanted && !["tensorflow", "wasm", "cpu"].includes(wanted)) {
    throw new Error(`unknown backend '${wanted}' (FMALAB_BACKEND or backend option): use tensorflow, wasm or cpu`);
  }
  if (current && (!wanted || wanted === current.backend) && tf.getBackend() === current.backend) {
    // The BLAS settings may have changed since (configureCompute): apply them again.
    if (current.backend === "wasm") {
      const updated = withBlas(current, opts.threads);
      if (updated.engine !== current.engine) current = updated;
    }
    return current;
  }

  // The fused training ops (wasm and cpu kernels; other backends keep tfjs-layers' composition).
  registerBatchNormTraining();
  registerActivationGradients();
  const notes: string[] = [];
  const order: BackendName[] = wanted ? [wanted] : ["tensorflow", "wasm", "cpu"];
  for (const name of order) {
    if (name === "tensorflow") {
      const loaded = tryLoadTfjsNode();
      if (!loaded.ok) {
        notes.push(`tfjs-node not available (${loaded.error ?? "not registered"})`);
        if (wanted) throw new Error(`backend 'tensorflow' requested but ${notes[notes.length - 1]}`);
        continue;
      }
      if (await tf.setBackend("tensorflow")) {
        // TensorFlow's intra-op pool defaults to one thread per core.
        const threads = os.cpus().length;
        current = { backend: "tensorflow", threads, engine: `tensorflow (tfjs-node), ${threads} threads`, note: "native TensorFlow via tfjs-node (TensorFlow's own thread pool, one thread per core)" };
        break;
      }
    } else if (name === "wasm") {
      try {
        loadWasmPackage();
        registerWasmTrainingKernels();
        registerBlasKernels();
        registerNativeLeakyRelu();
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          current = withBlas({ backend: "wasm", threads: 1, engine: "wasm", note: [...notes, WASM_THREADS_NOTE].join("; ") }, opts.threads);
          break;
        }
        notes.push("wasm backend failed to initialise");
      } catch (err) {
        notes.push(`wasm backend failed: ${(err as Error).message}`);
      }
      if (wanted) throw new Error(notes.join("; "));
    } else {
      await tf.setBackend("cpu");
      current = { backend: "cpu", threads: 1, engine: "cpu (pure JS, 1 thread)", note: [...notes, "pure-JS cpu backend (slow: for tests and fallbacks)"].join("; ") };
      break;
    }
  }
  if (!current) throw new Error(`no tfjs backend could be initialised: ${notes.join("; ")}`);
  await tf.ready();
  if (opts.log !== false) console.error(`[fmalab] tfjs backend: ${current.engine}`);
  return current;
}

/** Turn the BLAS kernels on or off per computeSettings(), set its threads, and name the engine. */
function withBlas(choice: BackendChoice, threadsOption: number | undefined): BackendChoice {
  const settings = computeSettings();
  if (settings.blas === "off") {
    setActiveBlas(null);
    setActiveNativeKernels(null);
    return { ...choice, blas: null, engine: "wasm (BLAS off: wasm kernels, 1 thread)" };
  }
  const blas = loadBlas();
  if (!blas) {
    setActiveBlas(null);
    setActiveNativeKernels(null);
    noticeOnce("blas", `no system BLAS (${blasError()}): training runs on the wasm kernels, one core`);
    return { ...choice, blas: null, engine: "wasm (no BLAS found: wasm kernels, 1 thread)" };
  }
  const wantThreads = threadsOption ?? settings.blasThreads ?? defaultBlasThreads();
  blas.setThreads(wantThreads);
  setActiveBlas(blas);
  const threads = blas.threads();
  // The native kernels run the passes between the GEMMs on the same number of threads.
  const kernels = loadNativeKernels();
  if (kernels) kernels.setThreads(threads ?? wantThreads);
  else noticeOnce("native-kernels", `fmalab native kernels not loaded (${nativeKernelsError()}): im2col, batch norm and pooling gradients run in JavaScript on one core`);
  setActiveNativeKernels(kernels);
  const engine: BlasEngine = { library: blas.library, file: blas.file, threads, nativeKernels: kernels ? kernels.file : null };
  const threadText = `${threads ?? "library-default"} BLAS thread${threads === 1 ? "" : "s"}`;
  return { ...choice, blas: engine, engine: `wasm + ${blas.library}${kernels ? " + fmalab kernels" : ""}, ${threadText}` };
}

/** Where each package's @tensorflow/tfjs-core resolves: one path means one shared copy (one engine). */
export function tfjsCoreLocations(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-layers", "danfojs-node"]) {
    try {
      const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
      out[pkg] = require.resolve("@tensorflow/tfjs-core/package.json", { paths: [pkgDir] });
    } catch (err) {
      out[pkg] = `unresolved: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  return out;
}
