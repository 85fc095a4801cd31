// Worker-thread entry: renders clip jobs sent by the pool in index.ts and writes each mp3 atomically.
import { parentPort } from "node:worker_threads";
import { writeFileAtomicAsync } from "../../util/fs";
import { renderClip, type ClipJob } from "./clip";

export interface WorkerRequest {
  job: ClipJob;
  target: string;
}
export type WorkerReply = { ready: true } | { trackId: number; bytes: number } | { trackId: number; error: string };

if (parentPort) {
  const port = parentPort;
  port.postMessage({ ready: true } satisfies WorkerReply);
  port.on("message", (msg: WorkerRequest) => {
    renderClip(msg.job)
      .then((bytes) => writeFileAtomicAsync(msg.target, bytes).then(() => bytes.length))
      .then(
        (bytes) => port.postMessage({ trackId: msg.job.trackId, bytes } satisfies WorkerReply),
        (err: unknown) =>
          port.postMessage({ trackId: msg.job.trackId, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies WorkerReply),
      );
  });
}
