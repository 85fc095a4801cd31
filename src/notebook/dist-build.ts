// Builds dist/ (see declarations.ts): tsc --emitDeclarationOnly into a temp folder beside dist/, a stub
// per module, the fingerprint the build started from, then a rename into place. One build at a time per
// project (a lock folder); a build that fails leaves the old dist/ as it was and no temp folder behind.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../util/fs";
import { declarationCompiler, describeChanges, distPaths, distStatus, sourceFingerprint } from "./declarations";

export interface BuildDeclarationsOptions {
  /** The project (default this one): builds <root>/src into <root>/dist with <root>/tsconfig.dist.json. */
  root?: string;
  /** The tsc script to run (default tslab's TypeScript; see declarationCompiler). */
  tsc?: string;
  /** Only build when dist/ is missing or stale (checked again once the lock is held). */
  ifStale?: boolean;
  /** How long to wait for another process's build before giving up (default 5 min). */
  lockWaitMs?: number;
  log?: (line: string) => void;
}

export interface DeclarationsBuild {
  /** False when dist/ was already fresh (ifStale), e.g. because a concurrent build just made it. */
  built: boolean;
  dist: string;
  /** Modules with a declaration and a stub. */
  modules: number;
  seconds: number;
  /** tsc's diagnostics when it reported type errors but still wrote every declaration (first lines). */
  warnings: string[];
}

/** Prefixes of the temp folders a build makes beside dist/ (a killed build's are removed by the next one). */
const BUILD_PREFIX = ".dist-build-";
const OLD_PREFIX = ".dist-old-";

/** Build dist/ (or, with ifStale, make sure it is fresh); rejects with what failed, leaving dist/ as it was. */
export async function buildDeclarations(options: BuildDeclarationsOptions = {}): Promise<DeclarationsBuild> {
  const paths = distPaths(options.root ?? PROJECT_ROOT);
  const log = options.log ?? (() => {});
  return withBuildLock(paths.lock, options.lockWaitMs ?? 5 * 60_000, log, async () => {
    removeLeftovers(paths.root);
    if (options.ifStale) {
      const status = distStatus(paths.root);
      if (status.fresh) return { built: false, dist: paths.dist, modules: 0, seconds: 0, warnings: [] };
      log(`dist/: building the notebooks' declarations (${describeChanges(status.changes)}) …`);
    }
    const started = Date.now();
    // Taken before compiling: a file edited during the build makes the result stale, as it should.
    const fingerprint = sourceFingerprint(paths.root);
    const tmp = fs.mkdtempSync(path.join(paths.root, BUILD_PREFIX));
    try {
      const warnings = await emitDeclarations(paths, tmp, options.tsc ?? declarationCompiler(paths.root).tsc);
      const modules = writeStubs(tmp, paths.src, Object.keys(fingerprint.files));
      fs.writeFileSync(path.join(tmp, "fingerprint.json"), JSON.stringify(fingerprint) + "\n");
      swapIntoPlace(tmp, paths.dist);
      const seconds = (Date.now() - started) / 1000;
      log(`dist/: ${modules} modules in ${seconds.toFixed(1)} s${warnings.length > 0 ? ` (tsc reported type errors in src/; first: ${warnings[0]})` : ""}`);
      return { built: true, dist: paths.dist, modules, seconds, warnings };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/**
 * Run tsc into `outDir`; resolves with its diagnostics (first lines) when it wrote a declaration for every
 * module (type errors in src/ do not stop the emit), rejects when it did not.
 */
async function emitDeclarations(paths: ReturnType<typeof distPaths>, outDir: string, tsc: string): Promise<string[]> {
  if (!fs.existsSync(paths.config)) throw new Error(`${paths.config} is missing`);
  const { code, output } = await runNode([tsc, "-p", paths.config, "--outDir", outDir], paths.root);
  const missing = moduleNames(paths.src).filter((m) => !fs.existsSync(path.join(outDir, `${m}.d.ts`)));
  const diagnostics = output.split("\n").filter((l) => /error TS\d+/.test(l)).map((l) => l.trim());
  if (code === null || missing.length > 0) {
    const why = code === null ? "was killed" : `exited with status ${code}`;
    const head = (diagnostics.length > 0 ? diagnostics : output.trim().split("\n")).slice(0, 5).join("\n  ");
    throw new Error(`tsc ${why} and wrote no declaration for ${missing.length} module(s) (first: src/${missing[0]}.ts)${head ? `:\n  ${head}` : ""}`);
  }
  return diagnostics.slice(0, 5);
}

/** The modules under src/: every .ts file (not .d.ts) without its extension, "/" separated. */
function moduleNames(srcDir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(srcDir, prefix), { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...moduleNames(srcDir, rel + "/"));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(rel.slice(0, -3));
  }
  return out.sort();
}

function runNode(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    let output = "";
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", (err) => reject(new Error(`cannot run ${process.execPath} ${args[0]}: ${err.message}`)));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/**
 * The runtime half of dist/: _runtime.js, and a stub X.js beside each X.d.ts that returns the current
 * src/X.ts (TypeScript resolves "./dist/X" to X.d.ts, Node to X.js). Returns the number of stubs.
 */
function writeStubs(outDir: string, srcDir: string, srcFiles: string[]): number {
  fs.writeFileSync(path.join(outDir, "_runtime.js"), RUNTIME_JS);
  // Hand-written src/**/*.d.ts are not emitted by tsc: copied as they are.
  for (const rel of srcFiles.filter((f) => f.endsWith(".d.ts"))) {
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.copyFileSync(path.join(srcDir, rel), path.join(outDir, rel));
  }
  const modules = srcFiles.filter((f) => !f.endsWith(".d.ts")).map((f) => f.slice(0, -3));
  for (const mod of modules) {
    const runtime = path.posix.relative(path.posix.dirname(mod), "_runtime.js");
    const stub = [
      '"use strict";',
      `// Generated by scripts/build-dist.mjs: types in ${path.posix.basename(mod)}.d.ts beside this file, code from the current src/${mod}.ts.`,
      `module.exports = require(${JSON.stringify(runtime.startsWith(".") ? runtime : `./${runtime}`)}).load(${JSON.stringify(mod)});`,
      "",
    ].join("\n");
    fs.writeFileSync(path.join(outDir, `${mod}.js`), stub);
  }
  return modules.length;
}

/** dist/_runtime.js: loads src/ through tsx and, once per process, says when dist/'s types are stale. */
const RUNTIME_JS = `"use strict";
// Generated by scripts/build-dist.mjs (src/notebook/dist-build.ts). Each dist/X.js stub returns the current
// src/X.ts, loaded through tsx (the kernel launcher registers it already; plain Node gets it here), so the
// code that runs is never older than src/. On first use, a fingerprint check (a stat per src file) says in
// one line when the declarations the cells were checked against are older than src/.
const path = require("node:path");
const root = path.resolve(__dirname, "..");
if (!require.extensions[".ts"]) require(require.resolve("tsx/cjs/api", { paths: [root] })).register();
let checked = false;
exports.load = function load(mod) {
  if (!checked) {
    checked = true;
    try {
      const notice = require(path.join(root, "src", "notebook", "declarations.ts")).staleDistNotice(root);
      if (notice) console.error(notice);
    } catch (err) {
      console.error("fmalab: could not compare dist/ with src/ (" + err.message + ")");
    }
  }
  return require(path.join(root, "src", mod + ".ts"));
};
`;

/** Replace `target` by the folder `built` (same filesystem): old dist/ aside, new one in, old one removed. */
function swapIntoPlace(built: string, target: string): void {
  const parent = path.dirname(target);
  let old: string | null = null;
  if (fs.existsSync(target)) {
    old = path.join(parent, `${OLD_PREFIX}${process.pid}-${Date.now()}`);
    fs.renameSync(target, old);
  }
  try {
    fs.renameSync(built, target);
  } catch (err) {
    if (old) fs.renameSync(old, target);
    throw err;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/** Temp folders of builds that were killed (only called with the lock held, so none is in use). */
function removeLeftovers(root: string): void {
  for (const name of fs.readdirSync(root)) {
    if (name.startsWith(BUILD_PREFIX) || name.startsWith(OLD_PREFIX)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Run `fn` holding the lock folder `lock` (mkdir is atomic). A lock whose owner process is gone is taken
 * over; a live owner is waited for up to `waitMs`.
 */
async function withBuildLock<T>(lock: string, waitMs: number, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number(fs.existsSync(path.join(lock, "pid")) ? fs.readFileSync(path.join(lock, "pid"), "utf8") : NaN);
    const ageMs = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    // No pid yet: its owner is between mkdir and writing it, unless that was long ago.
    if (Number.isInteger(owner) ? !pidAlive(owner) : ageMs > 10_000) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another dist/ build (pid ${owner}) still holds ${lock}; remove it if no build is running`);
    if (!said) log(`dist/: waiting for the build of process ${owner} …`);
    said = true;
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Make dist/ fresh if it is missing or stale (a no-op costing a stat per src file when it is fresh). */
export function ensureDeclarations(options: Omit<BuildDeclarationsOptions, "ifStale"> = {}): Promise<DeclarationsBuild> {
  return buildDeclarations({ ...options, ifStale: true });
}
