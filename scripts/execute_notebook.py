#!/usr/bin/env python3
"""Execute one Jupyter notebook headlessly with nbclient and report the result as JSON.

Called by src/notebook/execute.ts (`fmalab notebooks`, the notebook tests); run with the Python that has
nbclient (Debian: /usr/bin/python3). The kernel is found through JUPYTER_PATH (the caller sets it to
<project>/jupyter so the committed `fmalab-tslab` kernelspec is used).

    execute_notebook.py NOTEBOOK --out EXECUTED.ipynb --result RESULT.json
                        [--kernel fmalab-tslab] [--timeout SECONDS] [--startup-timeout SECONDS]
                        [--cwd DIR] [--html REPORT.html]

The executed notebook (also a partially executed one when a cell fails, so it can be inspected) and the
HTML export are written atomically (temp file + rename). RESULT.json holds:
    {"ok": bool, "cells": [{"index", "seconds"}...], "seconds", "error": null | {
        "cell_index", "source", "stderr", "ename", "evalue", "traceback"}}
tslab reports compile (type) errors and uncaught exceptions on the cell's stderr stream and answers the
execute request with a bare status "error" (no ename/evalue), so "stderr" is where the real message is.
Exit status: 0 when every cell ran, 1 on a cell error or a kernel/timeout failure, 2 on bad usage.
"""
import argparse
import json
import os
import sys
import tempfile
import time


def write_atomic(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; give it the usual umask-based mode, like any other written file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cell_stream_text(cell, name):
    return "".join(
        "".join(out.get("text", ""))
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == name
    )


def cell_error_output(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("--out", required=True, help="where to write the executed notebook")
    ap.add_argument("--result", required=True, help="where to write the JSON result")
    ap.add_argument("--kernel", default="fmalab-tslab")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    ap.add_argument("--startup-timeout", type=int, default=120, help="kernel start timeout in seconds")
    ap.add_argument("--cwd", default=None, help="kernel working directory (the launcher moves to the project root anyway)")
    ap.add_argument("--html", default=None, help="also export the executed notebook to this HTML file")
    args = ap.parse_args(argv)

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as err:
        print(f"execute_notebook.py: {err}; run `npm run setup`", file=sys.stderr)
        return 2

    started = time.monotonic()
    nb = nbformat.read(args.notebook, as_version=4)
    timings = []
    failure = {}

    code_cells = [i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]

    def on_cell_start(cell, cell_index):
        failure["current"] = cell_index
        timings.append({"index": cell_index, "start": time.monotonic()})
        # One machine-readable line per cell for the caller's progress line (src/notebook/execute.ts).
        done = code_cells.index(cell_index) if cell_index in code_cells else 0
        print(f"@@fmalab-progress {done} {len(code_cells)} {cell_index}", file=sys.stderr, flush=True)

    def on_cell_executed(cell, cell_index, execute_reply):
        if timings and timings[-1]["index"] == cell_index:
            timings[-1]["seconds"] = round(time.monotonic() - timings[-1].pop("start"), 3)

    def on_cell_error(cell, cell_index, execute_reply):
        failure["index"] = cell_index
        failure["reply"] = execute_reply.get("content", {})

    resources = {"metadata": {"path": args.cwd or os.path.dirname(os.path.abspath(args.notebook))}}
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        resources=resources,
        allow_errors=False,
        record_timing=True,
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
        on_cell_error=on_cell_error,
    )

    error = None
    try:
        client.execute()
    except CellExecutionError as err:
        index = failure.get("index", failure.get("current"))
        cell = nb.cells[index] if index is not None else {}
        reply = failure.get("reply", {})
        error_output = cell_error_output(cell) or {}
        error = {
            "kind": "cell",
            "cell_index": index,
            "source": cell.get("source", ""),
            "stderr": cell_stream_text(cell, "stderr"),
            "ename": reply.get("ename") or error_output.get("ename"),
            "evalue": reply.get("evalue") or error_output.get("evalue"),
            "traceback": "\n".join(reply.get("traceback") or error_output.get("traceback") or []),
            "message": str(err),
        }
    except (CellTimeoutError, DeadKernelError, RuntimeError, TimeoutError) as err:
        index = failure.get("current")
        cell = nb.cells[index] if index is not None else {}
        error = {
            "kind": type(err).__name__,
            "cell_index": index,
            "source": cell.get("source", ""),
            "stderr": cell_stream_text(cell, "stderr"),
            "ename": type(err).__name__,
            "evalue": str(err),
            "traceback": "",
            "message": str(err),
        }

    # Markdown cells are "started" too but never executed: keep code cells only.
    timings = [t for t in timings if "seconds" in t]
    write_atomic(args.out, nbformat.writes(nb))
    if args.html and error is None:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        write_atomic(args.html, body)
    write_atomic(
        args.result,
        json.dumps(
            {"ok": error is None, "cells": timings, "seconds": round(time.monotonic() - started, 3), "error": error},
            indent=2,
        ),
    )
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
