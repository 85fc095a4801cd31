// Every notebook in notebooks/ executes headlessly on the fmalab-tslab kernel without a cell error.
// A failure shows the notebook, the cell index, the cell's first lines and tslab's error text.
// Data: FMALAB_DATA when set, else data/synthetic, else ../shared/fma-sample (see notebookDataDir).
import { test } from "node:test";
import * as path from "node:path";
import { executeNotebook, listNotebooks, notebookDataDir } from "../../src/notebook";
import { PROJECT_ROOT } from "../../src/util/fs";

const cellTimeoutSeconds = Number(process.env.FMALAB_CELL_TIMEOUT ?? 600);

for (const file of listNotebooks()) {
  const name = path.basename(file);
  test(`notebook ${name} executes`, async () => {
    await executeNotebook(file, {
      outPath: path.join(PROJECT_ROOT, "out", "notebooks", name),
      dataDir: notebookDataDir(),
      cellTimeoutSeconds,
    });
  });
}
