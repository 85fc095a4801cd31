// One synthetic clip, from a self-contained job description to MP3 bytes. Used both by the worker
// threads and in-process, so output never depends on which thread rendered a clip.
import { Rng } from "../../util/random";
import { renderTexture } from "./audio";
import { concatBytes, encodeMp3, id3v2Tag, type Mp3Bitrate, type Mp3Encoder } from "./mp3";
import { derivedSeed, SEED_STREAM } from "./seeds";
import { drawTexture, type SubgenreRef, type Texture } from "./textures";

export interface ClipJob {
  seed: number;
  trackId: number;
  genreTop: string;
  subgenres: SubgenreRef[];
  /** All top genres (for ambiguous tracks to borrow from). */
  topGenres: string[];
  sampleRate: number;
  channels: 1 | 2;
  kbps: Mp3Bitrate;
  /** Resolved once for the whole dataset (recorded in synth.json), so every clip has the same encoder. */
  encoder: Mp3Encoder;
  duration: number;
  /** Known-bad mimicry: "no-audio" writes a tag and no frames, "short" a clip of 4–10% of `duration` (≥ 0.3 s). */
  bad: "no-audio" | "short" | null;
  id3: { title: string; artist: string; album: string; track: string };
}

/** The texture of a track: a pure function of (seed, track id, genres). */
export function textureForJob(job: Pick<ClipJob, "seed" | "trackId" | "genreTop" | "subgenres" | "topGenres">): Texture {
  const rng = new Rng(derivedSeed(job.seed, job.trackId, SEED_STREAM.texture));
  return drawTexture(rng, job.genreTop, job.subgenres, job.topGenres);
}

/** Render and encode one clip: ID3v2 tag + MP3 frames. */
export async function renderClip(job: ClipJob): Promise<Uint8Array> {
  const tag = id3v2Tag({ ...job.id3, genre: job.genreTop });
  if (job.bad === "no-audio") {
    // Like FMA's 099134 & co: a tag and bytes without any MPEG frame sync.
    return concatBytes([tag, new Uint8Array(4096)]);
  }
  const texture = textureForJob(job);
  const rng = new Rng(derivedSeed(job.seed, job.trackId, SEED_STREAM.render));
  const duration = job.bad === "short" ? Math.max(0.3, job.duration * (0.04 + 0.06 * rng.next())) : job.duration;
  const pcm = renderTexture(texture, rng, { sampleRate: job.sampleRate, channels: job.channels, duration });
  const frames = await encodeMp3(pcm, job.sampleRate, job.kbps, job.encoder);
  return concatBytes([tag, frames]);
}
