// `fmalab lab`: the classic Jupyter notebook server on 127.0.0.1 with a random token, showing notebooks/,
// with JUPYTER_PATH set so the project's fmalab-tslab kernel is offered (its launcher runs tslab in the
// project root, so cells import "./src" whatever the notebook folder).
import * as path from "node:path";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { intOption, parseCommandArgs, type CliCommand } from "../command";
import { PROJECT_ROOT } from "../../util/fs";
import { NOTEBOOKS_DIR, jupyterEnv } from "../../notebook";
import { dataDirFromEnv } from "../../study/settings";
import { ensureJupyter } from "./setup";

const usage = `Usage: fmalab lab [--port N] [--browser] [--data DIR]

Starts the classic Jupyter notebook server bound to 127.0.0.1 with a random token, serving notebooks/,
and prints the URL to open. Stop it with Ctrl-C.

Options:
  --port N     port (default 8888; Jupyter picks the next free one if taken)
  --browser    also open a browser
  --data DIR   dataset folder the notebooks open (sets FMALAB_DATA for the kernel)`;

export const command: CliCommand = {
  name: "lab",
  summary: "open the notebooks in Jupyter with the project's tslab kernel",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      { port: { type: "string" }, browser: { type: "boolean" }, data: { type: "string" } },
      usage,
    );
    const port = intOption(values.port, "port", 8888);
    const jupyter = await ensureJupyter({ install: false, lab: true });
    if (!jupyter.ok) return 1;
    const token = randomBytes(24).toString("hex");
    const dataDir = values.data ? path.resolve(values.data) : dataDirFromEnv(process.env);
    const args = [
      "-m",
      "notebook",
      "--ip=127.0.0.1",
      `--port=${port}`,
      `--notebook-dir=${NOTEBOOKS_DIR}`,
      `--NotebookApp.token=${token}`,
      values.browser ? "--browser=" : "--no-browser",
    ].filter((a) => a !== "--browser=");
    // The notebook server refuses to run as root unless told (containers, CI images).
    if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
    console.log(`Jupyter notebook server for ${path.relative(process.cwd(), NOTEBOOKS_DIR) || NOTEBOOKS_DIR}, kernel fmalab-tslab, data ${dataDir}`);
    console.log(`Open: http://127.0.0.1:${port}/?token=${token}   (if the port was taken, use the URL Jupyter prints below)`);
    const child = spawn(jupyter.python, args, {
      cwd: PROJECT_ROOT,
      stdio: ["inherit", "inherit", "inherit"],
      env: jupyterEnv({ FMALAB_DATA: dataDir }),
    });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    process.on("SIGINT", forward("SIGINT"));
    process.on("SIGTERM", forward("SIGTERM"));
    return await new Promise<number>((resolve) => {
      child.on("error", (err) => {
        console.error(`cannot start ${jupyter.python} -m notebook: ${err.message}`);
        resolve(1);
      });
      child.on("close", (code) => resolve(code ?? 0));
    });
  },
};
