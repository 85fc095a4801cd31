"""umap-learn on the bench's points, timed in the same run as ours (bench/umap.ts calls this when
`import umap` works): reads N x D float32 points, writes the N x 2 float32 layout and a JSON line with the
seconds and versions. Same parameters as ours: n_neighbors 15, min_dist 0.1, 2 components.

usage: umap_reference.py POINTS.f32 N D LAYOUT_OUT.f32
"""
import json
import sys
import time


def main(argv):
    points_file, n, d, out_file = argv[0], int(argv[1]), int(argv[2]), argv[3]
    import numpy as np
    import umap

    x = np.fromfile(points_file, dtype=np.float32).reshape(n, d)
    t0 = time.perf_counter()
    layout = umap.UMAP(n_neighbors=15, min_dist=0.1, n_components=2).fit_transform(x)
    seconds = time.perf_counter() - t0
    np.asarray(layout, dtype=np.float32).tofile(out_file)
    print(json.dumps({"seconds": seconds, "umap_learn": getattr(umap, "__version__", "?"), "numpy": np.__version__}))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
