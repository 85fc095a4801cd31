// A tiny FMA-layout dataset for the spectrogram-cache tests: DIR/fma_metadata/{tracks,genres}.csv and
// DIR/fma_small/NNN/NNNNNN.mp3, with good clips (short tone mixtures, mp3 at 44.1 kHz) and, on request,
// every kind of bad file the cache must survive.
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeMp3, id3v2Tag } from "../../src/data/synth/mp3";
import { formatTrackRow, tracksCsvHeaderRows } from "../../src/data/tracks";
import { formatCsvRow } from "../../src/data/csv";
import { Rng } from "../../src/util/random";

export type BadKind = "empty" | "truncated" | "garbage" | "id3-only" | "wav" | "text" | "short" | "missing" | "silent";

export interface TinyTrack {
  trackId: number;
  kind: "good" | BadKind;
}

const GENRES: Array<[string, number]> = [
  ["Hip-Hop", 21],
  ["Pop", 10],
  ["Rock", 12],
  ["Electronic", 15],
];

/** A tone mixture with a little noise, `seconds` long at 44.1 kHz, stereo. */
export function toneClip(seconds: number, seed: number): Float32Array[] {
  const sr = 44100;
  const n = Math.round(seconds * sr);
  const rng = new Rng(seed);
  const f1 = rng.uniform(150, 900);
  const f2 = rng.uniform(1000, 4000);
  const left = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    left[i] = 0.3 * Math.sin(2 * Math.PI * f1 * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 2 * t)) + 0.1 * Math.sin(2 * Math.PI * f2 * t) + 0.02 * rng.uniform(-1, 1);
  }
  return [left, left.slice()];
}

function pathOf(dir: string, trackId: number): string {
  const id = String(trackId).padStart(6, "0");
  return path.join(dir, "fma_small", id.slice(0, 3), `${id}.mp3`);
}

/** Write the dataset; returns the track list. Good clips are `seconds` long; "short" ones 1.3 s. */
export async function writeTinyDataset(dir: string, tracks: TinyTrack[], seconds = 2.5): Promise<TinyTrack[]> {
  const meta = path.join(dir, "fma_metadata");
  fs.mkdirSync(meta, { recursive: true });
  fs.copyFileSync(path.join(__dirname, "..", "..", "src", "data", "synth", "genres.csv"), path.join(meta, "genres.csv"));
  const rows = tracksCsvHeaderRows().map((r) => formatCsvRow(r));
  tracks.forEach((t, i) => {
    const [genre, id] = GENRES[i % GENRES.length];
    rows.push(
      formatTrackRow(t.trackId, {
        "set.split": "training",
        "set.subset": "small",
        "track.genre_top": genre,
        "track.genres": [id],
        "track.genres_all": [id],
        "track.title": `tone ${t.trackId}`,
        "artist.name": "test",
      }),
    );
  });
  fs.writeFileSync(path.join(meta, "tracks.csv"), rows.join("\n") + "\n");
  for (const t of tracks) {
    const file = pathOf(dir, t.trackId);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    switch (t.kind) {
      case "good":
        fs.writeFileSync(file, await encodeMp3(toneClip(seconds, t.trackId), 44100, 128));
        break;
      case "short":
        fs.writeFileSync(file, await encodeMp3(toneClip(1.3, t.trackId), 44100, 128));
        break;
      case "silent": {
        const n = Math.round(seconds * 44100);
        fs.writeFileSync(file, await encodeMp3([new Float32Array(n), new Float32Array(n)], 44100, 128));
        break;
      }
      case "empty":
        fs.writeFileSync(file, new Uint8Array(0));
        break;
      case "truncated": {
        // Cut mid-frame, early: less than the decoder's 1 s minimum survives.
        const full = await encodeMp3(toneClip(seconds, t.trackId), 44100, 128);
        fs.writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.2) + 7));
        break;
      }
      case "garbage": {
        const rng = new Rng(t.trackId);
        fs.writeFileSync(file, Uint8Array.from({ length: 20000 }, () => rng.int(0, 255)));
        break;
      }
      case "id3-only":
        fs.writeFileSync(file, id3v2Tag({ title: "no audio", artist: "test" }));
        break;
      case "wav": {
        const header = Buffer.alloc(44);
        header.write("RIFF", 0);
        header.writeUInt32LE(36 + 8000, 4);
        header.write("WAVEfmt ", 8);
        header.writeUInt32LE(16, 16);
        header.writeUInt16LE(1, 20);
        header.writeUInt16LE(1, 22);
        header.writeUInt32LE(22050, 24);
        header.writeUInt32LE(44100, 28);
        header.writeUInt16LE(2, 32);
        header.writeUInt16LE(16, 34);
        header.write("data", 36);
        header.writeUInt32LE(8000, 40);
        fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(8000)]));
        break;
      }
      case "text":
        fs.writeFileSync(file, "this is not an mp3 file, just some text renamed .mp3\n".repeat(50));
        break;
      case "missing":
        break;
    }
  }
  return tracks;
}

export function audioFileOf(dir: string, trackId: number): string {
  return pathOf(dir, trackId);
}
