"""The independent clustering group-images is compared with (tests and benchmark).

Usage: cluster_sklearn.py MATRIX N D THRESHOLD [REPEAT]
MATRIX holds N rows of D little-endian float32 (row-major). Runs scikit-learn's
AgglomerativeClustering(metric="cosine", linkage="average", distance_threshold=THRESHOLD,
n_clusters=None) REPEAT times (default 1) and prints one JSON object:
{"labels": [...], "seconds": [...]} with the wall time of each fit.
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import AgglomerativeClustering


def main() -> None:
    path, n, d, threshold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    repeat = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    x = np.fromfile(path, dtype="<f4").reshape(n, d)
    seconds = []
    labels = None
    for _ in range(repeat):
        start = time.perf_counter()
        model = AgglomerativeClustering(
            metric="cosine", linkage="average", distance_threshold=threshold, n_clusters=None
        )
        labels = model.fit_predict(x)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"labels": [int(v) for v in labels], "seconds": seconds}))


if __name__ == "__main__":
    main()
