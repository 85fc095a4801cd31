// worker_threads entry of the spectrogram cache. The parent may be tsx (`npm run fmalab`), plain node
// with `--import tsx` (tests), or a tslab kernel (no TypeScript loader at all), and is started with
// execArgv [] so nothing is inherited: we register tsx's CommonJS hook here, in this thread only, then
// load the TypeScript worker.
"use strict";
require("tsx/cjs/api").register();
require("./cache-worker.ts");
