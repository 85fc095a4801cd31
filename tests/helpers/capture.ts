// Runs a CLI entry point with console.log / console.error / process.stderr captured as strings.
export async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write.bind(process.stderr);
  let out = "";
  let err = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}
