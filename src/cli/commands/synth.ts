// `fmalab synth`: generate the embedded FMA-shaped synthetic dataset (CSV + mp3), resumably.
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { formatBytes } from "../../util/progress";
import {
  DEFAULT_SYNTH_DURATION,
  DEFAULT_SYNTH_SEED,
  DEFAULT_SYNTH_TRACKS,
  generateSyntheticDataset,
} from "../../data/synth";

const usage = `Usage: fmalab synth [--tracks N] [--dir DIR] [--seed S] [--duration SEC] [--workers N] [--with-bad-clips] [--quiet]

Generates a synthetic dataset in the real FMA layout, usable wherever fma_small is:
  DIR/fma_metadata/tracks.csv   FMA's 52-column format, subset "small", 8 balanced top genres,
                                80/10/10 artist-disjoint splits per genre
  DIR/fma_metadata/genres.csv   FMA's real genres.csv (163 genres)
  DIR/fma_small/NNN/NNNNNN.mp3  30 s MP3 clips (mostly 44.1 kHz stereo; 64–128 kbps to stay small)
  DIR/synth.json                seed, parameters and the per-genre texture parameter ranges

  --tracks N        number of tracks, split evenly over the 8 genres (default ${DEFAULT_SYNTH_TRACKS}; 8000 = fma_small's size)
  --dir DIR         output folder (default data/synthetic)
  --seed S          random seed (default ${DEFAULT_SYNTH_SEED}); same seed and options → byte-identical files
  --duration SEC    clip length in seconds (default ${DEFAULT_SYNTH_DURATION})
  --workers N       worker threads (default: all cores); output does not depend on it
  --with-bad-clips  also add FMA's 6 known-bad ids (3 clips without audio, 3 far too short)
  --quiet           no progress lines

Rerunning resumes: clips already written are kept (every file is written atomically).`;

export const command: CliCommand = {
  name: "synth",
  summary: "generate the embedded FMA-shaped synthetic dataset (CSV + mp3)",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        tracks: { type: "string" },
        dir: { type: "string" },
        seed: { type: "string" },
        duration: { type: "string" },
        workers: { type: "string" },
        "with-bad-clips": { type: "boolean" },
        quiet: { type: "boolean" },
      },
      usage,
    );
    const duration = values.duration === undefined ? DEFAULT_SYNTH_DURATION : Number(values.duration);
    if (!(duration > 0 && duration <= 600)) throw new UsageError(`--duration must be a number of seconds in (0, 600], got "${values.duration}"`);
    const dir = values.dir ?? "data/synthetic";
    const result = await generateSyntheticDataset(dir, {
      tracks: intOption(values.tracks, "tracks", DEFAULT_SYNTH_TRACKS, 8),
      seed: intOption(values.seed, "seed", DEFAULT_SYNTH_SEED, 0),
      duration,
      workers: values.workers === undefined ? undefined : intOption(values.workers, "workers", 1, 1),
      withBadClips: values["with-bad-clips"] ?? false,
      progress: true,
    });
    console.log(
      `synthetic dataset ready in ${result.dir}: ${result.tracks} tracks, ${result.clipsWritten} clips written ` +
        `(${formatBytes(result.bytesWritten)}), ${result.clipsSkipped} already there, ${result.seconds.toFixed(1)} s`,
    );
    return 0;
  },
};
