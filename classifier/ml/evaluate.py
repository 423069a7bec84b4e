"""Metrics of the model, as plain JSON-ready dicts, and the evaluation on reference data.

* `report(y_true, y_pred, classes)`: per-class precision, recall, F1 and support, their
  macro average over `classes`, accuracy, and the confusion matrix (rows: true class,
  columns: predicted class or "unknown").
* `rejection(y_pred, protocols)`: how often flows of protocols the model does not know
  come out "unknown", overall and per protocol.
* `evaluate_reference(model, directory)`: both of the above on an ndpi-dev style
  directory the model never trained on: `report` over the flows of the model's classes,
  `rejection` over the flows of every other protocol nDPI named from the payload.

Run `python -m classifier.ml.evaluate [--model DIR] DIR` to print them for any directory.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from typing import Dict, List, Sequence

import numpy as np

UNKNOWN = "unknown"


def report(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> Dict:
    """Scores over `classes` (a prediction "unknown", or of a class outside `classes`,
    is a miss of its true class)."""
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    per = {}
    f1s = []
    for c in classes:
        tp = int(np.sum((y_true == c) & (y_pred == c)))
        fp = int(np.sum((y_true != c) & (y_pred == c)))
        fn = int(np.sum((y_true == c) & (y_pred != c)))
        support = tp + fn
        if support == 0 and fp == 0:
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[c] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": support}
        if support:
            f1s.append(f)
    present = [c for c in classes if c in per and per[c]["support"]]
    cols = present + sorted(set(y_pred.tolist()) - set(present) - {UNKNOWN}) + [UNKNOWN]
    index = {c: i for i, c in enumerate(cols)}
    matrix = np.zeros((len(present), len(cols)), np.int64)
    rows = {c: i for i, c in enumerate(present)}
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        if t in rows:
            matrix[rows[t], index.get(p, index[UNKNOWN])] += 1
    return {
        "flows": int(sum(per[c]["support"] for c in present)),
        "accuracy": round(float(np.mean(y_true == y_pred)) if len(y_true) else 0.0, 4),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "per_class": per,
        "confusion": {"rows": present, "columns": cols, "matrix": matrix.tolist()},
    }


def rejection(y_pred: Sequence[str], protocols: Sequence[str], right: Sequence[bool] = None) -> Dict:
    """Share of flows predicted "unknown", over all flows and per (true) protocol; the
    protocol macro average weighs each protocol alike, so one big capture cannot carry it.
    `right`: per flow, whether a name given is not wrong after all (a protocol carried in
    another's wire format, data.NDPI_CARRIED_BY); `wrongly_named_rate` counts the others."""
    y_pred = np.asarray(y_pred, dtype=object)
    protocols = np.asarray(protocols, dtype=object)
    right = np.zeros(len(y_pred), bool) if right is None else np.asarray(right, bool)
    per = {}
    for p in sorted(set(protocols.tolist())):
        m = protocols == p
        got = collections.Counter(y_pred[m].tolist())
        per[p] = {"flows": int(m.sum()), "unknown": round(float(np.mean(y_pred[m] == UNKNOWN)), 4),
                  "labelled_as": {k: v for k, v in got.most_common() if k != UNKNOWN}}
    rates = [v["unknown"] for v in per.values()]
    wrong = (y_pred != UNKNOWN) & ~right
    return {"flows": int(len(y_pred)),
            "unknown_rate": round(float(np.mean(y_pred == UNKNOWN)) if len(y_pred) else 0.0, 4),
            "wrongly_named_rate": round(float(np.mean(wrong)) if len(y_pred) else 0.0, 4),
            "unknown_rate_protocol_macro": round(float(np.mean(rates)) if rates else 0.0, 4),
            "per_protocol": per}


def evaluate_reference(model, directory: str) -> Dict:
    """The model on an ndpi-dev style directory (flows nDPI labelled from the payload)."""
    from .data import load_reference
    from .features import eligible, extract_records
    fs = load_reference(directory)
    keep = np.flatnonzero(eligible(fs.records))
    fs = fs.subset(keep)
    proba = model.predict_proba(extract_records(fs.records, fs.payload))
    pred, _ = model.decide(proba)
    closed = np.asarray(model.classes, dtype=object)[proba.argmax(axis=1)]
    labels = np.asarray(fs.labels, dtype=object)
    origin = np.asarray(fs.origin, dtype=object)
    protocols = model.protocols
    known = np.isin(labels, protocols)
    out = {
        "directory": directory.rstrip("/").split("/")[-1],
        "captures": len(set(fs.captures)),
        "known": report(labels[known], pred[known], protocols),
        "known_closed_set": {k: v for k, v in report(labels[known], closed[known], protocols).items()
                             if k in ("flows", "accuracy", "macro_f1")},
        # nDPI's own name for the protocols the model has no class for
        "unknown_protocols": rejection(pred[~known], origin[~known]),
    }
    return out


def main(argv: List[str] = None) -> int:
    from .model import load
    ap = argparse.ArgumentParser(prog="python -m classifier.ml.evaluate",
                                 description="the shipped (or given) model on an ndpi-dev style directory")
    ap.add_argument("directory")
    ap.add_argument("--model", default=None)
    args = ap.parse_args(argv)
    res = evaluate_reference(load(args.model), args.directory)
    json.dump(res, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
