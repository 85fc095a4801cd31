"""The librosa 0.11 mp3 -> log-mel pipeline, timed per stage on this machine, for `npm run bench -- audio`.

librosa itself is not packaged in Debian 12 and PyPI is unreachable here, so this runs librosa 0.11's own
code path with the libraries librosa calls (Debian's python3-soundfile, python3-scipy, python3-numpy):

  librosa.load(path, sr=22050, mono=True, res_type=R)      R = soxr_hq (librosa's default) or polyphase
      soundfile.SoundFile(path).read(dtype=float32)        (libsndfile -> libmpg123, native)
      librosa.to_mono: mean over channels
      librosa.resample(res_type="soxr_hq"): soxr.resample(y, sr, 22050, quality="soxr_hq"), fix_length
      librosa.resample(res_type="polyphase"): scipy.signal.resample_poly(y, 22050/g, sr/g), fix_length
  python-soxr is not packaged either: `soxr` is imported from PYTHONPATH (the real package, or the
  libsoxr stand-in ../shared/reference/soxr_libsoxr.py that `npm run bench -- audio` puts there).
  librosa.feature.melspectrogram(y, sr=22050)              (n_fft 2048, hop 512, 128 mels, power 2)
      stft: periodic Hann, center=True with zero padding, numpy rfft; |.|**2; mel_basis @ S
  librosa.power_to_db(S, ref=np.max)                       (amin 1e-10, top_db 80)

The mel filterbank (librosa.filters.mel, not cached by librosa) is built once outside the timing, which
flatters librosa slightly. Prints one JSON object: per-stage medians (ms per 30 s clip) over runs and clips.

    /usr/bin/python3 bench/librosa/pipeline_reference.py [--clips DIR] [--runs N]
"""
import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import scipy.signal
import soundfile as sf


def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr=22050, n_fft=2048, n_mels=128):
    """librosa.filters.mel (Slaney scale and norm), float32."""
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


def load(path, sr=22050, res_type="soxr_hq"):
    with sf.SoundFile(path) as f:
        sr_native = f.samplerate
        y = f.read(frames=-1, dtype=np.float32, always_2d=False).T
    t_decode = time.perf_counter()
    if y.ndim > 1:
        y = np.mean(y, axis=0)
    if sr_native != sr:
        ratio = float(sr) / sr_native
        n_samples = int(np.ceil(y.shape[-1] * ratio))
        if res_type == "soxr_hq":
            import soxr

            y_hat = soxr.resample(y, sr_native, sr, quality="soxr_hq")
        else:
            g = math.gcd(sr_native, sr)
            y_hat = scipy.signal.resample_poly(y, sr // g, sr_native // g, axis=-1)
        y_hat = y_hat[:n_samples] if y_hat.shape[-1] >= n_samples else np.pad(y_hat, (0, n_samples - y_hat.shape[-1]))
        y = np.asarray(y_hat, dtype=np.float32)
    return y, sr_native, t_decode


def logmel_db(y, mel_basis, n_fft=2048, hop=512):
    window = scipy.signal.get_window("hann", n_fft, fftbins=True).astype(np.float32)
    y = np.pad(y, (n_fft // 2, n_fft // 2), mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    stft = np.fft.rfft(frames * window, axis=-1).astype(np.complex64).T
    S = np.abs(stft) ** 2
    mel = np.einsum("ft,mf->mt", S, mel_basis, optimize=True)
    log_spec = 10.0 * np.log10(np.maximum(1e-10, mel))
    log_spec -= 10.0 * np.log10(np.maximum(1e-10, mel.max()))
    return np.maximum(log_spec, log_spec.max() - 80.0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_clips = os.path.join(here, "..", "..", "..", "shared", "fma-sample", "audio")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", default=default_clips)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--res-type", default="soxr_hq", choices=["soxr_hq", "polyphase"])
    args = ap.parse_args()
    files = sorted(f for f in os.listdir(args.clips) if f.lower().endswith(".mp3"))
    if not files:
        ap.error(f"no .mp3 files in {args.clips}")
    mel_basis = mel_filterbank()
    load(os.path.join(args.clips, files[0]), res_type=args.res_type)  # warm-up (imports, FFT plans)
    per = {"decode": [], "mono_resample": [], "load": [], "logmel": [], "end_to_end": []}
    for name in files:
        path = os.path.join(args.clips, name)
        clip = {k: [] for k in per}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            y, _, t_decode = load(path, res_type=args.res_type)
            t1 = time.perf_counter()
            logmel_db(y, mel_basis)
            t2 = time.perf_counter()
            scale = 30.0 / (len(y) / 22050.0)  # per 30 s clip
            clip["decode"].append((t_decode - t0) * 1000 * scale)
            clip["mono_resample"].append((t1 - t_decode) * 1000 * scale)
            clip["load"].append((t1 - t0) * 1000 * scale)
            clip["logmel"].append((t2 - t1) * 1000 * scale)
            clip["end_to_end"].append((t2 - t0) * 1000 * scale)
        for k in per:
            per[k].append(statistics.median(clip[k]))
    out = {f"{k}_ms": round(statistics.median(v), 1) for k, v in per.items()}
    out.update(
        {
            "pipeline": f"librosa 0.11 load(sr=22050, res_type='{args.res_type}') + melspectrogram + power_to_db, via soundfile/scipy/numpy",
            "res_type": args.res_type,
            "libsndfile": sf.__libsndfile_version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "clips": len(files),
            "runs": args.runs,
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
