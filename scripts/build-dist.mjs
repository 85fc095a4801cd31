// Builds dist/: the declarations of src/ and the runtime stubs the notebooks import
// (`import * as lab from "./dist"`; see src/notebook/declarations.ts for why).
//   node scripts/build-dist.mjs              build now (npm run build:dist)
//   node scripts/build-dist.mjs --if-stale   only when dist/ is missing or older than src/
//   node scripts/build-dist.mjs --install    --if-stale, and a failure is one notice with exit 0 (the npm
//                                            install script: the notebook commands and the kernel retry)
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const install = args.includes("--install");
const log = (line) => console.error(`[fmalab] ${line}`);

try {
  // The builder is TypeScript (it shares the fingerprint with the CLI and the runtime stubs): run through tsx.
  const tsx = require("tsx/cjs/api");
  const { buildDeclarations } = tsx.require("../src/notebook/dist-build.ts", import.meta.url);
  const build = await buildDeclarations({ ifStale: install || args.includes("--if-stale"), log });
  if (!build.built) log("dist/: up to date with src/");
} catch (err) {
  if (!install) {
    log(`dist/ not built: ${err.message}`);
    process.exit(1);
  }
  log(`dist/ not built (${err.message.split("\n")[0]}): the notebook commands and the kernel build it when they start`);
}
