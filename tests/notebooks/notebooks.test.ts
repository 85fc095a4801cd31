// Every notebook in notebooks/ executes headlessly on the fmalab-tslab kernel without a cell error.
// A failure shows the notebook, the cell index, the cell's first lines and tslab's error text.
// Data: see test-data.ts (FMALAB_DATA, else data/synthetic, else a small generated synthetic dataset).
// The notebooks import "./dist": it is made fresh first, as `fmalab notebooks` does (the kernel would too).
import { before, test } from "node:test";
import * as path from "node:path";
import { ensureDeclarations, executeNotebook, listNotebooks } from "../../src/notebook";
import { PROJECT_ROOT } from "../../src/util/fs";
import { notebookTestDataDir } from "./test-data";

const cellTimeoutSeconds = Number(process.env.FMALAB_CELL_TIMEOUT ?? 600);
let dataDir: Promise<string> | null = null;

before(async () => {
  await ensureDeclarations({ log: (line) => console.error(line) });
});

for (const file of listNotebooks()) {
  const name = path.basename(file);
  test(`notebook ${name} executes`, async () => {
    dataDir ??= notebookTestDataDir();
    await executeNotebook(file, {
      outPath: path.join(PROJECT_ROOT, "out", "notebooks", name),
      dataDir: await dataDir,
      cellTimeoutSeconds,
    });
  });
}
