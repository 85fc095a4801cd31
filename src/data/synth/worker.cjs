// worker_threads entry of the synthetic-dataset generator. The parent may be tsx, plain node with
// `--import tsx`, or a tslab kernel (no TypeScript loader), and starts workers with execArgv [] so
// nothing is inherited: register tsx's CommonJS hook in this thread only, then load the TS worker.
"use strict";
require("tsx/cjs/api").register();
require("./worker.ts");
