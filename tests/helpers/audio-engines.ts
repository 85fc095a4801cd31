// The audio paths every audio/feature/cache test runs on, in the same `npm test`: native (libmpg123 +
// libsoxr through koffi) and WASM (forced). Native is skipped, with the reason, where its libraries are absent.
import { nativeFindings } from "../../src/native/library";
import { nativeMpg123 } from "../../src/audio/mpg123-native";
import { nativeSoxr } from "../../src/audio/soxr-native";

export interface EngineCase {
  engine: "native" | "wasm";
  /** Why this engine cannot run here (then its tests skip with this reason). */
  skip?: string;
}

export function audioEngines(): EngineCase[] {
  const mpg = nativeMpg123();
  const soxr = nativeSoxr();
  const missing = nativeFindings()
    .filter((f) => (f.name === "mpg123" && !mpg) || (f.name === "soxr" && !soxr))
    .map((f) => `${f.name}: ${f.error ?? "symbols did not bind"}`);
  const native: EngineCase = { engine: "native" };
  if (!mpg || !soxr) native.skip = `native audio libraries absent (${missing.join("; ")}); install libmpg123-0 libsoxr0`;
  return [native, { engine: "wasm" }];
}
