// worker_threads entry of a data-parallel gradient replica (src/train/data-parallel.ts). Started with
// execArgv [] from tsx, node --import tsx or a tslab kernel: register tsx's CommonJS hook in this thread,
// then load the TypeScript worker.
"use strict";
require("tsx/cjs/api").register();
require("./grad-worker.ts");
