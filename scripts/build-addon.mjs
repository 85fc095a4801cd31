// Builds fmalab's native kernels (src/native/addon) with node-gyp: run by `npm install` (the package's
// install script) and by `fmalab setup`. A failed build is one notice and exit 0: the JavaScript kernels
// then compute (slower) and nothing else changes. The .node file is renamed into place only when complete.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const addonDir = fileURLToPath(new URL("../src/native/addon/", import.meta.url));
const target = join(addonDir, "fmalab_kernels.node");

function nodeGyp() {
  // npm sets npm_config_node_gyp for its scripts; otherwise npm's bundled copy beside this node.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((c) => c && existsSync(c));
}

function nodeDir() {
  // Node's own headers (Debian's nodejs ships them): no download, which these machines cannot make.
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined;
}

function main() {
  const gyp = nodeGyp();
  if (!gyp) return notice("node-gyp not found");
  const dir = nodeDir();
  const args = [gyp, "rebuild", `--directory=${addonDir}`, ...(dir ? [`--nodedir=${dir}`] : [])];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const built = join(addonDir, "build", "Release", "fmalab_kernels.node");
  if (r.status !== 0 || !existsSync(built)) {
    const why = (r.stderr || r.stdout || "").split("\n").find((l) => /error|ERR!/i.test(l)) ?? `exit ${r.status}`;
    return notice(why.trim());
  }
  copyFileSync(built, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
  rmSync(join(addonDir, "build"), { recursive: true, force: true });
  console.error(`[fmalab] native kernels built: ${target}`);
}

function notice(why) {
  console.error(`[fmalab] native kernels not built (${why}): training uses the JavaScript kernels (slower)`);
}

main();
