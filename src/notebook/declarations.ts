// The notebooks' import, `import * as lab from "./dist"`, and what keeps it fast and honest. tslab
// type-checks a cell together with every .ts file it imports — for "./src", the whole library, 20-30 s
// before each notebook's first cell — but it skips .d.ts files. dist/ (gitignored, built by
// scripts/build-dist.mjs) holds:
//   - the declarations of src/ (tsconfig.dist.json), emitted by tslab's own TypeScript 5.0.4: the compiler
//     the kernel checks cells with, so dist/ never holds syntax or lib types that compiler lacks;
//   - beside each X.d.ts a stub X.js that runs the current src/X.ts through tsx: the code that runs is
//     never stale, only the types can be;
//   - fingerprint.json: the size and mtime of every src/**/*.ts (plus the config and compiler) the
//     declarations were built from, so a stale dist/ is found with a few stat calls.
// A build is written into a temp folder beside dist/ and renamed into place, under a lock folder: a failed
// or concurrent build never leaves a half dist/.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { PROJECT_ROOT } from "../util/fs";

/** Layout version of dist/ (stubs, runtime, fingerprint): a change makes every older dist/ stale. */
export const DIST_FORMAT = 1;

/** What a dist/ was built from. */
export interface DistFingerprint {
  format: number;
  /** The compiler that wrote the declarations ("typescript 5.0.4"). */
  compiler: string;
  /** sha256 of tsconfig.dist.json (and of tsconfig.json, which it extends). */
  config: string;
  /** Every src/**\/*.ts, relative to src/ with "/" separators → [size in bytes, mtime in ms]. */
  files: Record<string, [number, number]>;
}

export interface DistStatus {
  fresh: boolean;
  /** What differs, one short item each ("src/data/csv.ts edited", "dist/ missing"); [] when fresh. */
  changes: string[];
}

/** The paths of a project's declarations build. */
export function distPaths(root: string = PROJECT_ROOT) {
  return {
    root,
    src: path.join(root, "src"),
    dist: path.join(root, "dist"),
    fingerprint: path.join(root, "dist", "fingerprint.json"),
    config: path.join(root, "tsconfig.dist.json"),
    lock: path.join(root, ".dist-build.lock"),
  };
}

/** tslab's TypeScript (the kernel's compiler): its tsc script and version; `typescript` when tslab has none. */
export function declarationCompiler(root: string = PROJECT_ROOT): { tsc: string; version: string } {
  const candidates: string[] = [];
  try {
    const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [root] }));
    candidates.push(require.resolve("@tslab/typescript-for-tslab/package.json", { paths: [tslabDir] }));
  } catch {
    // no tslab: the project's own TypeScript below
  }
  try {
    candidates.push(require.resolve("typescript/package.json", { paths: [root] }));
  } catch {
    // neither: reported by the caller
  }
  if (candidates.length === 0) throw new Error(`no TypeScript compiler under ${path.join(root, "node_modules")} (run npm ci)`);
  const pkg = JSON.parse(fs.readFileSync(candidates[0], "utf8")) as { version: string };
  return { tsc: path.join(path.dirname(candidates[0]), "bin", "tsc"), version: `typescript ${pkg.version}` };
}

/** The .ts files under `dir`, relative to it with "/" separators, sorted. */
function tsFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...tsFiles(path.join(dir, entry.name), rel + "/"));
    else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

function configHash(root: string): string {
  const hash = createHash("sha256");
  for (const name of ["tsconfig.dist.json", "tsconfig.json"]) {
    const file = path.join(root, name);
    hash.update(`${name}\0${fs.existsSync(file) ? fs.readFileSync(file) : "(none)"}\0`);
  }
  return hash.digest("hex");
}

/** The fingerprint of the sources as they are now (a stat per file; no file is read but the configs). */
export function sourceFingerprint(root: string = PROJECT_ROOT): DistFingerprint {
  const { src } = distPaths(root);
  const files: Record<string, [number, number]> = {};
  for (const rel of tsFiles(src)) {
    const st = fs.statSync(path.join(src, rel));
    files[rel] = [st.size, st.mtimeMs];
  }
  return { format: DIST_FORMAT, compiler: declarationCompiler(root).version, config: configHash(root), files };
}

/** dist/fingerprint.json, or null when dist/ or the file is missing or unreadable. */
export function readDistFingerprint(root: string = PROJECT_ROOT): DistFingerprint | null {
  try {
    return JSON.parse(fs.readFileSync(distPaths(root).fingerprint, "utf8")) as DistFingerprint;
  } catch {
    return null;
  }
}

/** What differs between the fingerprint dist/ was built from and the sources' now. */
export function compareFingerprints(built: DistFingerprint | null, now: DistFingerprint): string[] {
  if (!built) return ["dist/ missing"];
  const changes: string[] = [];
  if (built.format !== now.format) changes.push(`dist/ layout ${built.format} (now ${now.format})`);
  if (built.compiler !== now.compiler) changes.push(`compiler ${built.compiler} (now ${now.compiler})`);
  if (built.config !== now.config) changes.push("tsconfig.dist.json or tsconfig.json changed");
  const before = built.files ?? {};
  for (const [rel, [size, mtime]] of Object.entries(now.files)) {
    const old = before[rel];
    if (!old) changes.push(`src/${rel} added`);
    else if (old[0] !== size || old[1] !== mtime) changes.push(`src/${rel} edited`);
  }
  for (const rel of Object.keys(before)) if (!(rel in now.files)) changes.push(`src/${rel} removed`);
  return changes;
}

/** Is dist/ up to date with src/? Cheap: the stat calls of sourceFingerprint and one small JSON read. */
export function distStatus(root: string = PROJECT_ROOT): DistStatus {
  const changes = compareFingerprints(readDistFingerprint(root), sourceFingerprint(root));
  return { fresh: changes.length === 0, changes };
}

/** The changes of a status in one line: the first three and how many more. */
export function describeChanges(changes: ReadonlyArray<string>): string {
  const shown = changes.slice(0, 3).join(", ");
  return changes.length > 3 ? `${shown} and ${changes.length - 3} more` : shown;
}

/**
 * The one line the runtime entry (dist/_runtime.js) prints when the notebook's types are older than src/
 * (null when they are not): the code is current either way; a kernel restart rebuilds the types.
 */
export function staleDistNotice(root: string = PROJECT_ROOT): string | null {
  const status = distStatus(root);
  if (status.fresh) return null;
  return (
    `fmalab: the types in dist/ are older than src/ (${describeChanges(status.changes)}); the code that runs is the current src/. ` +
    "Restart the kernel to rebuild them (it does at start), or run `npm run build:dist`."
  );
}
