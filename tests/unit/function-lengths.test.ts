// At most 3 functions over 80 lines outside the synthesiser (src/data/synth/), each saying in a comment
// ("One piece: …") why it must stay whole. scripts/function-lengths.mjs lists them.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
  reason: string | null;
}

/**
 * Long functions without their reason yet, each with why it is waiting (empty when there are none).
 * Key: "file:name".
 */
const PENDING: Record<string, string> = {};

async function longFunctions(): Promise<LongFunction[]> {
  const script = pathToFileURL(path.resolve(__dirname, "../../scripts/function-lengths.mjs")).href;
  const mod = (await import(script)) as { longFunctions(opts?: { limit?: number }): LongFunction[] };
  return mod.longFunctions({ limit: 80 });
}

test("at most 3 functions over 80 lines outside src/data/synth/", async () => {
  const long = await longFunctions();
  assert.ok(long.length <= 3, long.map((f) => `${f.lines} ${f.file}:${f.line} ${f.name}`).join("\n"));
});

test("every function over 80 lines says why it is one piece", async () => {
  const unexplained = (await longFunctions()).filter((f) => !f.reason && !PENDING[`${f.file}:${f.name}`]);
  assert.deepEqual(unexplained.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`), [], 'split it, or add "One piece: <why>" to its comment');
});

test("the counter sees long functions (trainModel was 273 lines before its split)", async () => {
  const script = pathToFileURL(path.resolve(__dirname, "../../scripts/function-lengths.mjs")).href;
  const mod = (await import(script)) as { functionLengths(file: string): LongFunction[] };
  const fft = mod.functionLengths(path.resolve(__dirname, "../../src/features/fft.ts"));
  const body = fft.find((f) => f.name === "buildFft2Body");
  assert.ok(body && body.lines > 80 && body.reason && /wasm function/.test(body.reason), JSON.stringify(body));
  assert.ok(fft.some((f) => f.name === "forward" && f.lines > 10), "methods are counted");
});

test("every pending exception is still a long function", async () => {
  const long = new Set((await longFunctions()).map((f) => `${f.file}:${f.name}`));
  for (const key of Object.keys(PENDING)) assert.ok(long.has(key), `stale: ${key} is no longer over 80 lines`);
});
