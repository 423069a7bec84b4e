#!/usr/bin/env python3
"""Inference speed of the port-blind model on the flows of bench/bench.pcap (issue: at
least 100k flows/s on one core for feature extraction and prediction together).

usage: OPENBLAS_NUM_THREADS=1 python bench/ml.py [--capture PATH] [--model DIR] [--repeat K]

The capture is read once through the fast path and its batches kept in memory (reading
is the fast path's benchmark, bench/run.py, not this one). Then, K times, every batch
goes through `features.extract` and `Model.predict` exactly as `portlens analyze --ml all`
runs them; the best of the K runs is kept, in CPU seconds of this process (one thread).
Figures: extraction alone, prediction alone (on the extracted matrices), both together.
Writes them to bench/out/ml.json as well.

bench/bench.pcap is generated, never committed; make it with
    python ../shared/tools/make_bench_pcap.py ../shared/ndpi-dev/pcaps bench/bench.pcap 2000000
"""
import argparse
import json
import os
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")        # one core: no BLAS thread pool (set before numpy loads)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from inputs import DEFAULT_CAPTURE, require_capture  # noqa: E402

from classifier.flows import FlowReader  # noqa: E402
from classifier.ml import features  # noqa: E402
from classifier.ml.model import ModelError, load  # noqa: E402


def best_of(k, fn):
    best = float("inf")
    for _ in range(k):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--capture", default=DEFAULT_CAPTURE)
    ap.add_argument("--model", default=None, help="model directory (default: models/)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    require_capture("bench/ml.py", args.capture)
    try:
        model = load(args.model)
    except ModelError as e:
        sys.exit(f"bench/ml.py: {e}")
    t0 = time.perf_counter()
    batches = list(FlowReader(args.capture).batches())
    n = sum(len(b) for b in batches)
    read_s = time.perf_counter() - t0
    mats = [features.extract(b) for b in batches]
    model.predict(mats[0])                     # build the tree walkers once, as a long run would

    ext = best_of(args.repeat, lambda: [features.extract(b) for b in batches])
    pred = best_of(args.repeat, lambda: [model.predict(X) for X in mats])
    both = best_of(args.repeat, lambda: [model.predict(features.extract(b)) for b in batches])
    eligible = sum(int(features.eligible(b.records).sum()) for b in batches)
    res = {
        "capture": os.path.basename(args.capture), "flows": n, "batches": len(batches),
        "flows_with_payload": eligible, "read_seconds": round(read_s, 3),
        "model_trees": model.forest.n_trees, "model_nodes": int(len(model.forest.feature)),
        "features": features.N_FEATURES,
        "extract_flows_per_s": round(n / ext), "predict_flows_per_s": round(n / pred),
        "extract_and_predict_flows_per_s": round(n / both),
        "repeat": args.repeat, "clock": "process CPU time, best of repeat",
    }
    for k, v in res.items():
        print(f"{k:34s} {v}")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "ml.json"), "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
