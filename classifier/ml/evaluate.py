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


def rejection(y_pred: Sequence[str], protocols: Sequence[str]) -> Dict:
    """Share of flows predicted "unknown", over all flows and per (true) protocol; the
    protocol macro average weighs each protocol alike, so one big capture cannot carry it."""
    y_pred = np.asarray(y_pred, dtype=object)
    protocols = np.asarray(protocols, dtype=object)
    per = {}
    for p in sorted(set(protocols.tolist())):
        m = protocols == p
        got = collections.Counter(y_pred[m].tolist())
        per[p] = {"flows": int(m.sum()), "unknown": round(float(np.mean(y_pred[m] == UNKNOWN)), 4),
                  "labelled_as": {k: v for k, v in got.most_common() if k != UNKNOWN}}
    rates = [v["unknown"] for v in per.values()]
    return {"flows": int(len(y_pred)),
            "unknown_rate": round(float(np.mean(y_pred == UNKNOWN)) if len(y_pred) else 0.0, 4),
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
    known = np.isin(labels, model.classes)
    out = {
        "directory": directory.rstrip("/").split("/")[-1],
        "captures": len(set(fs.captures)),
        "known": report(labels[known], pred[known], model.classes),
        "known_closed_set": {k: v for k, v in report(labels[known], closed[known], model.classes).items()
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


# --- models/README.md ----------------------------------------------------------------

def _pct(x) -> str:
    return f"{100 * x:.1f}%"


def _class_table(rep: Dict) -> List[str]:
    out = ["| class | precision | recall | F1 | flows |", "|---|---|---|---|---|"]
    for c, v in rep["per_class"].items():
        out.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    return out


def _confusions(rep: Dict) -> List[str]:
    conf = rep["confusion"]
    cells = []
    for i, t in enumerate(conf["rows"]):
        for j, p in enumerate(conf["columns"]):
            n = conf["matrix"][i][j]
            if n and t != p:
                cells.append((-n, t, p))
    if not cells:
        return ["(none: the confusion matrix is diagonal)"]
    return [", ".join(f"{t} → {p}: {-n}" for n, t, p in sorted(cells))]


def _rejections(rej: Dict, limit: int = 0) -> List[str]:
    rows = sorted(rej["per_protocol"].items(), key=lambda kv: (-kv[1]["flows"], kv[0]))
    if limit:
        rows = rows[:limit]
    out = ["| protocol | flows | called unknown | otherwise called |", "|---|---|---|---|"]
    for p, v in rows:
        other = ", ".join(f"{k} {n}" for k, n in list(v["labelled_as"].items())[:3]) or "-"
        out.append(f"| {p} | {v['flows']} | {_pct(v['unknown'])} | {other} |")
    return out


def render_readme(man: Dict) -> str:
    """models/README.md: the manifest's figures for people (written by `portlens train`)."""
    m = man.get("metrics", {})
    tr = man.get("training", {})
    s = tr.get("settings", {})
    libs = man.get("trained_with", {})
    L = ["# models/ — the port-blind model", "",
         "Written by `portlens train`; do not edit (the figures are `manifest.json`'s). "
         "What the model is and how it is used: the README section \"The ML model\".", "",
         "| | |", "|---|---|",
         f"| file | `{man['model_file']}`, {man['model_bytes']} bytes, sha256 `{man['model_sha256']}` |",
         f"| made by | `{tr.get('command', 'portlens train')}` |",
         f"| with | Python {libs.get('python')}, numpy {libs.get('numpy')}, "
         f"scikit-learn {libs.get('scikit-learn')} (the same versions give the same bytes) |",
         f"| training data | {tr.get('corpus_captures')} corpus captures, sha256 `{tr.get('data_sha256')}`; "
         f"{tr.get('flows')} flows + {tr.get('view_rows')} views of them; extra data: {', '.join(tr.get('extra') or []) or 'none'} |",
         f"| model | {tr.get('estimator')}, {s.get('n_trees')} trees, max_features {s.get('max_features')}, "
         f"class_weight {s.get('class_weight')}, seed {s.get('seed')} |",
         f"| features | schema {man['feature_schema_version']}, {man['n_features']} per flow (classifier/ml/features.py) |",
         f"| classes | {len(man['classes'])}: {', '.join(man['classes'])} |",
         f"| open set | top-class probability below **{man['threshold']:.4f}** → \"unknown\" |", ""]
    if "corpus_heldout" in m:
        h = m["corpus_heldout"]
        L += ["## Figures", "",
              "| what | figure |", "|---|---|",
              f"| corpus held out by capture, macro-F1 (open set: \"unknown\" counts as a miss) | **{h['macro_f1']:.4f}** |",
              f"| ... accuracy | {h['accuracy']:.4f} ({h['flows']} flows) |",
              f"| ... closed set (no threshold), macro-F1 | {h['closed_set']['macro_f1']:.4f} |",
              f"| ... the held-out flows' views (first packets, one side, mid-stream, MSS), macro-F1 | {h['views']['macro_f1']:.4f} ({h['views']['flows']} views) |",
              f"| corpus held out by variant (a kind of exchange never seen), closed-set macro-F1 | {m['corpus_heldout_by_variant']['macro_f1']:.4f} |"]
        u = m["unknown_protocols_heldout"]
        L.append(f"| unknown protocols (corpus protocols left out of training) called \"unknown\" | "
                 f"**{_pct(u['unknown_rate'])}** of {u['flows']} flows (per-protocol mean {_pct(u['unknown_rate_protocol_macro'])}) |")
    if "corpus_unknown_flows" in m:
        c = m["corpus_unknown_flows"]
        L.append(f"| corpus flows of no protocol (TURN relay test pattern) called \"unknown\" | {_pct(c['unknown_rate'])} of {c['flows']} |")
    for name, r in m.get("reference", {}).items():
        k, u = r["known"], r["unknown_protocols"]
        L += [f"| {name}: flows of the model's protocols (nDPI DPI labels), macro-F1 / accuracy | "
              f"**{k['macro_f1']:.4f}** / {k['accuracy']:.4f} ({k['flows']} flows; closed set: "
              f"{r['known_closed_set']['macro_f1']:.4f} / {r['known_closed_set']['accuracy']:.4f}) |",
              f"| {name}: flows of other protocols called \"unknown\" | **{_pct(u['unknown_rate'])}** of {u['flows']} "
              f"(per-protocol mean {_pct(u['unknown_rate_protocol_macro'])}) |"]
    L.append("")
    if "corpus_heldout" in m:
        h = m["corpus_heldout"]
        L += ["## Corpus, held out by capture", "", h["split"] + ".", "",
              f"Fold thresholds: {', '.join(str(t) for t in h['fold_thresholds'])}.", ""]
        L += _class_table(h) + ["", "Confusions (true → predicted: flows): " + _confusions(h)[0], ""]
        u = m["unknown_protocols_heldout"]
        L += ["## Unknown protocols, held out", "", u["split"] + ".", ""] + _rejections(u) + [""]
    for name, r in m.get("reference", {}).items():
        L += [f"## {name} (never trained on)", "",
              "Flows nDPI labelled from the payload (confidence DPI), read by the fast path. "
              "Of the model's protocols:", ""]
        L += _class_table(r["known"]) + ["", "Confusions: " + _confusions(r["known"])[0], "",
                                         "Of the other protocols (nDPI's names), the 40 largest:", ""]
        L += _rejections(r["unknown_protocols"], 40) + [""]
    return "\n".join(L)
