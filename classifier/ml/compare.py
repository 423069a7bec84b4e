"""The learners compared on the same capture-held-out folds: the evidence behind the
shipped model's choice (README, "The ML model").

    python -m classifier.ml.compare --extra ../shared/ndpi-dev [--learner rf --learner extra --learner hgb]

Each learner gets the training of classifier/ml/train.py (the pinned corpus captures,
the reference flows with their OTHER class, the views, the weights) and its metrics
step: every flow scored by a model that never saw its capture, each fold calibrating its
own threshold for the precision target. Prints one line per learner: precision of the
names given on reference flows, macro-F1 over the model's classes there, the share of
other protocols' flows called "unknown", the detectors' unknowns named and right, the
corpus macro-F1, and the seconds it took. Only "rf" and "extra" compile to the shipped
file format (forest.Forest); "hgb" is scikit-learn's histogram gradient boosting,
evaluated with scikit-learn's own predict_proba.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from . import train as T
from .data import TRAINING_LIST, read_capture_list, split_capture_list


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m classifier.ml.compare", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="pcaps/")
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--extra-captures", default=None, metavar="FILE",
                    help="the reference captures to use (default: those of models/training-captures.txt)")
    ap.add_argument("--learner", action="append", default=None, choices=sorted(T.LEARNERS))
    ap.add_argument("--trees", type=int, default=None)
    ap.add_argument("--json", default=None, metavar="FILE", help="also write every learner's metrics here")
    args = ap.parse_args(argv)
    corpus_caps, ref_caps = split_capture_list(read_capture_list(TRAINING_LIST))
    if args.extra_captures:
        ref_caps = split_capture_list(read_capture_list(args.extra_captures))[1]
    base = T.Settings()
    if args.trees:
        base = replace(base, n_trees=args.trees)
    pool, classes, _ = T.build_pool(args.corpus, args.extra, base, captures=corpus_caps,
                                    extra_captures=ref_caps or None, detectors=True)
    out = {}
    print(f"{'learner':8s} {'precision':>9s} {'macroF1':>8s} {'other->unk':>10s} {'fallback':>12s} {'corpusF1':>8s} {'s':>5s}")
    for name in args.learner or ["rf", "extra", "hgb"]:
        t0 = time.time()
        m = T._heldout_metrics(pool, classes, replace(base, learner=name), lambda s: None)
        dt = time.time() - t0
        out[name] = m
        r, fb = m.get("reference_heldout", {}), m.get("fallback_heldout", {})
        print(f"{name:8s} {r.get('precision')!s:>9s} {r.get('known', {}).get('macro_f1', 0):8.4f} "
              f"{r.get('other_protocols', {}).get('unknown_rate', 0):10.4f} "
              f"{fb.get('right', 0):>5d}/{fb.get('named', 0):<3d}of{fb.get('flows', 0):<3d} "
              f"{m['corpus_heldout']['macro_f1']:8.4f} {dt:5.0f}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
