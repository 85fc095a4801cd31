"""PyTorch CPU reference for `npm run bench -- train`: the same four architectures, batch sizes and
optimizers as bench/train.ts, timed the same way (one warm-up step, then the median of N timed
training steps and N timed inference passes). Prints one JSON array on stdout.

Run with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 bench/pytorch/train_reference.py --threads 2 --steps 5 [--models a,b]
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn


class MelCnn4(nn.Module):
    """mel_cnn4_128: 4 x [conv3x3 same (32, 64, 128, 128), no bias -> BN -> ReLU -> maxpool2], GAP,
    dropout .3, dense 8 (src/models/mel.ts buildMelCnn4)."""

    def __init__(self, classes=8):
        super().__init__()
        layers, cin = [], 1
        for f in (32, 64, 128, 128):
            layers += [nn.Conv2d(cin, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.ReLU(), nn.MaxPool2d(2)]
            cin = f
        self.features = nn.Sequential(*layers)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.drop(self.features(x).mean(dim=(2, 3))))


class Probe3Conv(nn.Module):
    """probe_3conv_128: conv3x3 same 16 -> ReLU -> pool -> 32 -> ReLU -> pool -> 64 -> ReLU, GAP, dense 8."""

    def __init__(self, classes=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        )
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


class SeedV2Block(nn.Module):
    def __init__(self, cin, cout, pool):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.01))
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()
        self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2 if pool else 1), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.pool(self.main(x)) + self.short(x)


class SeedImprovedV2(nn.Module):
    """The seed's ImprovedMusicGenreCNNv2 (src/models/seed.ts buildSeedImprovedV2), 224x224x3 input."""

    def __init__(self, classes=8):
        super().__init__()
        chans, cin, blocks = (32, 64, 128, 256, 512, 1024), 3, []
        for i, f in enumerate(chans):
            blocks.append(SeedV2Block(cin, f, i < 5))
            cin = f
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.8), nn.Linear(7 * 7 * 1024, 2048), nn.LeakyReLU(0.01),
            nn.Dropout(0.7), nn.Linear(2048, 1024), nn.Linear(1024, classes),
        )

    def forward(self, x):
        return self.head(self.blocks(x))


# name -> (module, batch, input shape CHW, optimizer), as BENCH_MODELS in bench/train.ts.
MODELS = {
    "seed_v2_224": (SeedImprovedV2, 16, (3, 224, 224), "sgd"),
    "default_logmel_128": (MelCnn4, 32, (1, 128, 128), "adam"),
    "probe_3conv_128": (Probe3Conv, 32, (1, 128, 128), "adam"),
    "mel_cnn4_128": (MelCnn4, 32, (1, 128, 128), "adam"),
}


def bench(name, steps, batch_override):
    make, batch, shape, opt_name = MODELS[name]
    batch = batch_override or batch
    torch.manual_seed(1)
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3) if opt_name == "sgd" else torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, *shape)
    y = torch.arange(batch) % 8

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    step()  # warm-up
    train_ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        train_ms.append((time.perf_counter() - t0) * 1000)
    model.eval()
    infer_ms = []
    with torch.no_grad():
        model(x)
        for _ in range(steps):
            t0 = time.perf_counter()
            model(x)
            infer_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "backend": "pytorch-cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": name,
        "batch": batch,
        "optimizer": opt_name,
        "train_clips_per_s": round(batch * 1000 / statistics.median(train_ms), 2),
        "infer_clips_per_s": round(batch * 1000 / statistics.median(infer_ms), 2),
        "train_step_ms": round(statistics.median(train_ms)),
        "timed_steps": steps,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batch", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = [m for m in args.models.split(",") if m]
    for m in names:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}; known: {', '.join(MODELS)}")
    results, measured = [], {}
    for m in names:
        key = (MODELS[m][0], args.batch or MODELS[m][1])
        if key in measured:  # default_logmel_128 is mel_cnn4_128: measure once
            results.append({**measured[key], "model": m})
            continue
        r = bench(m, args.steps, args.batch)
        measured[key] = r
        results.append(r)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
