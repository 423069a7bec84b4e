"""models/README.md: the model card, the manifest's figures written for people.

`classifier.ml.model.save` writes it beside the model; it reads the manifest only
(it lives apart from evaluate.py, which loads models, so neither imports the other's
importer: model -> model_card, evaluate -> model).
"""
from __future__ import annotations

from typing import Dict, List


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
