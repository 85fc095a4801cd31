// Choosing the tfjs backend: tfjs-node (native TensorFlow) when it is installed, else the wasm backend
// with our training kernels (src/tf/wasm-kernels), else the pure-JS cpu backend.
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerWasmTrainingKernels } from "./wasm-kernels";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendChoice {
  backend: string;
  threads: number;
  note: string;
}

export interface InitBackendOptions {
  /** Force one backend (also FMALAB_BACKEND=tensorflow|wasm|cpu); the option wins over the variable. */
  backend?: BackendName;
  /** wasm threads: Node builds of tfjs-backend-wasm run single-threaded (see note). */
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
  const envChoice = process.env.FMALAB_BACKEND as BackendName | undefined;
  const wanted = opts.backend ?? (envChoice || undefined);
  if (wanted && !["tensorflow", "wasm", "cpu"].includes(wanted)) {
    throw new Error(`unknown backend '${wanted}' (FMALAB_BACKEND or backend option): use tensorflow, wasm or cpu`);
  }
  if (current && (!wanted || wanted === current.backend) && tf.getBackend() === current.backend) return current;

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
        current = { backend: "tensorflow", threads: os.cpus().length, note: "native TensorFlow via tfjs-node (TensorFlow's own thread pool, one thread per core)" };
        break;
      }
    } else if (name === "wasm") {
      try {
        const wasm = loadWasmPackage();
        registerWasmTrainingKernels();
        if (opts.threads && opts.threads > 1) wasm.setThreadsCount(opts.threads);
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          current = { backend: "wasm", threads: wasm.getThreadsCount(), note: [...notes, WASM_THREADS_NOTE].join("; ") };
          break;
        }
        notes.push("wasm backend failed to initialise");
      } catch (err) {
        notes.push(`wasm backend failed: ${(err as Error).message}`);
      }
      if (wanted) throw new Error(notes.join("; "));
    } else {
      await tf.setBackend("cpu");
      current = { backend: "cpu", threads: 1, note: [...notes, "pure-JS cpu backend (slow: for tests and fallbacks)"].join("; ") };
      break;
    }
  }
  if (!current) throw new Error(`no tfjs backend could be initialised: ${notes.join("; ")}`);
  await tf.ready();
  if (opts.log !== false) console.error(`[fmalab] tfjs backend: ${current.backend} (threads ${current.threads})`);
  return current;
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
