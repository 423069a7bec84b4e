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
    extra = ", ".join(tr.get("extra") or []) or "none"
    L = ["# models/ — the port-blind model", "",
         "Written by `portlens train`; do not edit (the figures are `manifest.json`'s). "
         "What the model is and how it is used: the README section \"The ML model\".", "",
         "| | |", "|---|---|",
         f"| file | `{man['model_file']}`, {man['model_bytes']} bytes, sha256 `{man['model_sha256']}` |",
         f"| made by | `{tr.get('command', 'portlens train')}` |",
         f"| with | Python {libs.get('python')}, numpy {libs.get('numpy')}, "
         f"scikit-learn {libs.get('scikit-learn')} (the same versions give the same bytes) |",
         f"| training data | {tr.get('corpus_captures')} corpus captures: {tr.get('flows')} flows + {tr.get('view_rows')} "
         f"views of them; reference (real traffic, nDPI's payload labels): {extra}, {tr.get('extra_captures', 0)} "
         f"captures: {tr.get('extra_flows', 0)} flows + {tr.get('extra_view_rows', 0)} views; "
         f"sha256 `{tr.get('data_sha256')}` (models/training-captures.txt pins the captures) |",
         f"| model | {tr.get('estimator')}, {s.get('n_trees')} trees, max_features {s.get('max_features')}, "
         f"min_samples_leaf {s.get('min_samples_leaf')}, classes balanced by weight, seed {s.get('seed')} |",
         f"| features | schema {man['feature_schema_version']}, {man['n_features']} per flow (classifier/ml/features.py) |",
         f"| classes | {len(man['classes'])}: {', '.join(man['classes'])} (`other`: real flows of every other "
         f"protocol; a flow the model puts there is \"unknown\") |",
         f"| open set | class `other`, or top-class probability below **{man['threshold']:.4f}** → \"unknown\" "
         f"(the threshold: the lowest at which the names given on held-out real traffic are right "
         f"{_pct(s.get('precision_target', 0))} of the time) |", ""]
    h = m.get("heldout")
    if h:
        L += ["## Figures, held out by capture", "", h["split"] + ".", "",
              f"Fold thresholds: {', '.join(str(t) for t in h['fold_thresholds'])}.", "",
              "| what | figure |", "|---|---|"]
        fb = m.get("fallback_heldout")
        if fb:
            prec = "-" if fb["precision"] is None else _pct(fb["precision"])
            L.append(f"| the fallback (`--ml fallback`): reference flows the detectors left unknown | {fb['flows']} flows "
                     f"({fb['of_the_models_protocols']} of the model's protocols) |")
            L.append(f"| ... named by the model (coverage) / right (precision) | **{fb['named']}** "
                     f"({_pct(fb['coverage'])}) / {fb['right']} ({prec}) |")
        r = m.get("reference_heldout")
        if r:
            o = r["other_protocols"]
            prec = "-" if r["precision"] is None else _pct(r["precision"])
            L += [f"| reference flows, the model asked about every one (`--ml all`): names right | "
                  f"**{prec}** of {r['named']} named ({r['flows']} flows) |",
                  f"| ... flows of the model's protocols: macro-F1 / accuracy | **{r['known']['macro_f1']:.4f}** / "
                  f"{r['known']['accuracy']:.4f} ({r['known']['flows']} flows; closed set, no threshold: "
                  f"{r['known_closed_set']['macro_f1']:.4f} / {r['known_closed_set']['accuracy']:.4f}) |",
                  f"| ... flows of other protocols: called \"unknown\" / named wrongly | **{_pct(o['unknown_rate'])}** / "
                  f"{_pct(o['wrongly_named_rate'])} of {o['flows']} (per-protocol mean called unknown "
                  f"{_pct(o['unknown_rate_protocol_macro'])}) |"]
        c = m["corpus_heldout"]
        L += [f"| corpus flows: macro-F1 / accuracy | **{c['macro_f1']:.4f}** / {c['accuracy']:.4f} ({c['flows']} flows; "
              f"closed set {c['closed_set']['macro_f1']:.4f}) |",
              f"| corpus views (first packets, one side, mid-stream, MSS): macro-F1 | {c['views']['macro_f1']:.4f} "
              f"({c['views']['flows']} views) |"]
    if "corpus_unknown_flows" in m:
        c = m["corpus_unknown_flows"]
        L.append(f"| corpus flows of no protocol (TURN relay test pattern) called \"unknown\" (the shipped model) | "
                 f"{_pct(c['unknown_rate'])} of {c['flows']} |")
    L.append("")
    fb = m.get("fallback_heldout")
    if fb and fb["wrong"]:
        L += ["Wrong fallback names (nDPI → model: flows): " + ", ".join(f"{k}: {v}" for k, v in fb["wrong"].items()), ""]
    r = m.get("reference_heldout")
    if r:
        L += ["## Reference flows of the model's protocols, held out by capture", "", r["scoring"] + ".", ""]
        L += _class_table(r["known"]) + ["", "Confusions (true → predicted: flows): " + _confusions(r["known"])[0], "",
                                         "## Reference flows of other protocols (nDPI's names), the 40 largest", ""]
        L += _rejections(r["other_protocols"], 40) + [""]
    if h:
        c = m["corpus_heldout"]
        L += ["## Corpus, held out by capture", ""] + _class_table(c)
        L += ["", "Confusions (true → predicted: flows): " + _confusions(c)[0], ""]
    for name, r in m.get("reference", {}).items():
        k, u = r["known"], r["unknown_protocols"]
        L += [f"## {name} (evaluated with --eval)", "",
              f"Flows of the model's protocols: macro-F1 {k['macro_f1']:.4f}, accuracy {k['accuracy']:.4f} "
              f"({k['flows']} flows); other protocols called \"unknown\": {_pct(u['unknown_rate'])} of {u['flows']}.", ""]
        L += _class_table(k) + [""]
    return "\n".join(L)
