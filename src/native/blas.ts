// The system BLAS (OpenBLAS on Linux, Accelerate or Homebrew's OpenBLAS on macOS), called in-process through
// koffi. Only single-precision GEMM is bound: the training kernels (src/tf/blas-kernels) express convolutions
// and matrix products through it. Float32Array arguments go to C as pointers to their own memory (koffi does
// not copy typed arrays), so views on the wasm heap are multiplied in place.
import * as os from "node:os";
import { loadNativeLibrary, type LibraryCandidates } from "./library";

export const CBLAS_ROW_MAJOR = 101;
export const CBLAS_NO_TRANS = 111;
export const CBLAS_TRANS = 112;

export const BLAS_CANDIDATES: LibraryCandidates = {
  // libopenblas.so.0: Debian's libopenblas0-pthread (or -openmp/-serial); libcblas.so.3 / libblas.so.3: whatever
  // the alternatives system points at, used only when it exports cblas_sgemm.
  linux: ["libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"],
  darwin: [
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
  ],
};

/** Row-major C = alpha·op(A)·op(B) + beta·C, with op(X) = X or Xᵀ. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

export interface Blas {
  /** The candidate that loaded (a soname or a path). */
  file: string;
  /** "OpenBLAS 0.3.21 … SkylakeX", "Accelerate", or the file when the library does not say. */
  library: string;
  sgemm: Sgemm;
  /** Threads the library uses now (null when it cannot be asked). */
  threads(): number | null;
  /** Set the library's thread count; false when it cannot be set at run time (Accelerate: VECLIB_MAXIMUM_THREADS). */
  setThreads(n: number): boolean;
}

let cached: { blas: Blas | null; error?: string } | null = null;

/** The system BLAS, or null (with the reason in `blasError()`); cached. Never throws. */
export function loadBlas(): Blas | null {
  if (cached) return cached.blas;
  const lib = loadNativeLibrary("blas", BLAS_CANDIDATES);
  if (!lib) {
    cached = { blas: null, error: "no BLAS library loaded (Debian: apt-get install libopenblas0-pthread; macOS: Accelerate)" };
    return null;
  }
  try {
    cached = { blas: bind(lib.file, lib.lib) };
  } catch (err) {
    cached = { blas: null, error: `${lib.file} has no usable cblas_sgemm: ${(err as Error).message.split("\n")[0]}` };
  }
  return cached.blas;
}

export function blasError(): string | undefined {
  loadBlas();
  return cached?.error;
}

function optionalFunc<T>(make: () => T): T | null {
  try {
    return make();
  } catch {
    return null;
  }
}

function bind(file: string, lib: import("./library").KoffiLibrary): Blas {
  const raw = lib.func("void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, _Inout_ float *, int)");
  const setNum = optionalFunc(() => lib.func("void openblas_set_num_threads(int)"));
  const getNum = optionalFunc(() => lib.func("int openblas_get_num_threads()"));
  const getConfig = optionalFunc(() => lib.func("const char *openblas_get_config()"));
  const getCore = optionalFunc(() => lib.func("const char *openblas_get_corename()"));
  let library = file.includes("Accelerate") ? "Accelerate" : file;
  if (getConfig) {
    const config = String(getConfig()).trim();
    const core = getCore ? String(getCore()).trim() : "";
    library = core && !config.includes(core) ? `${config} (${core})` : config;
  }
  const sgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    if (m === 0 || n === 0) return;
    raw(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  };
  return {
    file,
    library,
    sgemm,
    threads: () => (getNum ? Number(getNum()) : null),
    setThreads: (n: number) => {
      if (!setNum) return false;
      setNum(n);
      return true;
    },
  };
}

/** One BLAS thread per core (the default when no thread count is given). */
export function defaultBlasThreads(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** Forget the cached lookup (after installing the library). */
export function resetBlasForTests(): void {
  cached = null;
}
