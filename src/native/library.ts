// The native layer: system C libraries (libmpg123, libsoxr, the BLAS) loaded in-process by file name through
// koffi, whose npm package ships prebuilt binaries (no compiler at install time). Every lookup is recorded so
// that benches, caches and reports can say what was found; a library that is absent is a notice, never a crash,
// and the caller falls back to its WASM twin.
import * as os from "node:os";
import { isQuiet } from "../util/progress";

/** koffi's module type without importing it eagerly (it is a native addon that may fail to load). */
export type Koffi = typeof import("koffi");
export type KoffiLibrary = ReturnType<Koffi["load"]>;

/** Where to look for one library, per platform: sonames for the dynamic loader, then absolute paths. */
export interface LibraryCandidates {
  linux?: string[];
  darwin?: string[];
  win32?: string[];
}

export interface NativeLibrary {
  /** Our name for it ("mpg123", "soxr", "openblas", …). */
  name: string;
  /** The candidate that loaded (a soname or a path). */
  file: string;
  lib: KoffiLibrary;
}

export interface NativeFinding {
  name: string;
  found: boolean;
  /** The candidate that loaded, when found. */
  file?: string;
  /** Why nothing loaded: each candidate's first error line. */
  error?: string;
}

let koffiState: { koffi: Koffi | null; error?: string } | null = null;
const loaded = new Map<string, NativeLibrary | null>();
const findings = new Map<string, NativeFinding>();
const noticed = new Set<string>();

/** koffi itself, or null (with the reason in `koffiError()`) where its prebuilt binary cannot load. */
export function loadKoffi(): Koffi | null {
  if (!koffiState) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      koffiState = { koffi: require("koffi") as Koffi };
    } catch (err) {
      koffiState = { koffi: null, error: (err as Error).message.split("\n")[0] };
    }
  }
  return koffiState.koffi;
}

export function koffiError(): string | undefined {
  loadKoffi();
  return koffiState?.error;
}

/** The candidates for this platform. */
export function candidatesHere(c: LibraryCandidates, platform: NodeJS.Platform = os.platform()): string[] {
  return (c as Record<string, string[] | undefined>)[platform] ?? [];
}

/**
 * Load a system library by its candidates (first that loads wins); cached per name, null when none loads.
 * Never throws: the finding (and each candidate's error) is recorded for `nativeFindings()`.
 */
export function loadNativeLibrary(name: string, candidates: LibraryCandidates): NativeLibrary | null {
  if (loaded.has(name)) return loaded.get(name)!;
  const koffi = loadKoffi();
  let result: NativeLibrary | null = null;
  const errors: string[] = [];
  if (!koffi) {
    errors.push(`koffi unavailable: ${koffiState?.error}`);
  } else {
    const files = candidatesHere(candidates);
    if (files.length === 0) errors.push(`no candidates for platform ${os.platform()}`);
    for (const file of files) {
      try {
        result = { name, file, lib: koffi.load(file) };
        break;
      } catch (err) {
        errors.push(`${file}: ${(err as Error).message.split("\n")[0]}`);
      }
    }
  }
  loaded.set(name, result);
  findings.set(name, result ? { name, found: true, file: result.file } : { name, found: false, error: errors.join("; ") });
  return result;
}

/** What each lookup so far found, in lookup order. */
export function nativeFindings(): NativeFinding[] {
  return [...findings.values()];
}

/** Print a message on stderr once per key (the "one clear notice" before a fallback). */
export function noticeOnce(key: string, message: string, sink: (line: string) => void = (l) => console.error(l)): void {
  // --quiet: a fallback is recorded (nativeFindings), not printed.
  if (noticed.has(key) || isQuiet()) return;
  noticed.add(key);
  sink(`[fmalab] ${message}`);
}

/** Forget cached lookups and notices (tests that simulate an absent library). */
export function resetNativeLibrariesForTests(): void {
  loaded.clear();
  findings.clear();
  noticed.clear();
}
