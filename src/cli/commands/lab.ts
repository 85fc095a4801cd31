// `fmalab lab`: the classic Jupyter notebook server on 127.0.0.1 with a random token, showing notebooks/,
// with JUPYTER_PATH set so the project's fmalab-tslab kernel is offered (its launcher runs tslab in the
// project root, so cells import "./dist" whatever the notebook folder; dist/ is rebuilt first when stale).
import * as path from "node:path";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { intOption, parseCommandArgs, type CliCommand } from "../command";
import { PROJECT_ROOT } from "../../util/fs";
import { NOTEBOOKS_DIR, jupyterEnv } from "../../notebook";
import { prepareDeclarations } from "./notebooks";
import { dataDirFromEnv } from "../../study/settings";
import { ensureJupyter } from "./setup";

const usage = `Usage: fmalab lab [--port N] [--browser] [--data DIR]

Starts the classic Jupyter notebook server bound to 127.0.0.1 with a random token, serving notebooks/,
and prints the URL to open. Stop it with Ctrl-C.

Options:
  --port N     port (default 8888; Jupyter picks the next free one if taken)
  --browser    also open a browser
  --data DIR   dataset folder the notebooks open (sets FMALAB_DATA for the kernel)`;

/**
 * The port Jupyter actually listens on, from one of its log lines ("http://127.0.0.1:8889/tree?token=..."),
 * or null. Jupyter masks a token given on the command line, so the caller prints the full URL itself.
 */
export function jupyterPortFromLog(line: string): number | null {
  const m = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)\//.exec(line);
  return m ? Number(m[1]) : null;
}

/** The URL to open, with the token. */
export function labUrl(port: number, token: string): string {
  return `http://127.0.0.1:${port}/tree?token=${token}`;
}

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
    // The kernels would rebuild a stale dist/ themselves as they start; once here is quicker and visible.
    await prepareDeclarations((line) => console.log(line));
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
    console.log(`starting on port ${port} (Jupyter takes the next free one if it is taken); the URL with its token follows`);
    const child = spawn(jupyter.python, args, {
      cwd: PROJECT_ROOT,
      stdio: ["inherit", "pipe", "pipe"],
      env: jupyterEnv({ FMALAB_DATA: dataDir }),
    });
    // Jupyter's own log goes through unchanged; once it says which port it took, print the full URL
    // (Jupyter shows a token given on its command line masked as "?token=...").
    let announced = false;
    const scan = (out: NodeJS.WriteStream) => {
      let pending = "";
      return (chunk: Buffer) => {
        out.write(chunk);
        if (announced) return;
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const actual = jupyterPortFromLog(line);
          if (actual !== null && !announced) {
            announced = true;
            console.log(`\n    Open: ${labUrl(actual, token)}${actual !== port ? `   (port ${port} was taken)` : ""}\n`);
          }
        }
      };
    };
    child.stdout!.on("data", scan(process.stdout));
    child.stderr!.on("data", scan(process.stderr));
    // Ctrl-C (SIGINT, also as npm forwards it) stops the server at once: Jupyter takes SIGINT as "ask on
    // stdin whether to shut down", SIGTERM as "shut down", so SIGINT is passed on as SIGTERM.
    const stop = () => {
      if (child.exitCode === null) child.kill("SIGTERM");
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    process.on("SIGHUP", stop);
    process.on("exit", stop);
    return await new Promise<number>((resolve) => {
      child.on("error", (err) => {
        console.error(`cannot start ${jupyter.python} -m notebook: ${err.message}`);
        resolve(1);
      });
      child.on("close", (code) => resolve(code ?? 0));
    });
  },
};
