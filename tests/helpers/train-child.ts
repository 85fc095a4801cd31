// Child process for the kill -9 / resume test: trains the fixture run, sleeping after each epoch so
// the parent can kill it between checkpoints.
//   node --import tsx tests/helpers/train-child.ts RUNS_DIR RUN_ID [--resume] [--sleep-ms N] [--epochs E]
import { trainModel } from "../../src/train/train";
import { fixtureConfig, fixtureData } from "./train-fixture";

async function main(): Promise<void> {
  const [runsDir, runId, ...rest] = process.argv.slice(2);
  const resume = rest.includes("--resume");
  const sleepAt = rest.indexOf("--sleep-ms");
  const sleepMs = sleepAt >= 0 ? Number(rest[sleepAt + 1]) : 0;
  const epochsAt = rest.indexOf("--epochs");
  const epochs = epochsAt >= 0 ? Number(rest[epochsAt + 1]) : 4;
  await trainModel(fixtureConfig(runsDir, { runId, epochs }), {
    data: fixtureData(),
    resume,
    progress: false,
    log: () => undefined,
    onEpoch: () => new Promise((resolve) => setTimeout(resolve, sleepMs)),
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
