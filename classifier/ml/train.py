"""Training: the corpus and real reference traffic in, a model and its honest
capture-held-out metrics out.

What `train(corpus, extra=[...])` does, every step seeded (`Settings.seed`) so that the
same inputs and library versions give the same model file, byte for byte:

1. Flows. The corpus (pcaps/corpus, the captures of the pinned list): every TCP or UDP
   flow with payload; classes are its protocols with at least `min_class_flows` flows
   (the generator's "unknown" flows, a TURN relay's test pattern, are never trained on:
   they are open-set test data). Each `extra` directory (the ../shared/ndpi-dev layout)
   adds the flows nDPI labelled from the payload (confidence DPI), its names mapped
   through the protocol table (`classifier.protocols.ndpi_to_canonical`): a flow of one
   of the classes keeps its class; a flow of any other protocol (nDPI knows hundreds the
   model does not) becomes class OTHER, the open set learnt from real traffic. The
   model never sees which flows the detectors label: that is for the figures only.
2. Views (`augment.py`): each training flow also gives the views a capture could show of
   it (first packets only, one direction, joined mid-stream, Ethernet-sized segments).
3. Weights. A reference capture can hold hundreds of flows of one protocol (622 SLP
   flows in one file): the flows of one protocol in one reference capture weigh at most
   `reference_group_weight` together, so no single capture dominates. Then every class
   weighs the same in total (balanced by weight, not by row count).
4. Threshold (open set and precision): a flow whose most probable class is OTHER, or
   whose top probability is below the threshold, is "unknown". The threshold is the
   lowest at which the names given are right at least `precision_target` of the time on
   real traffic held out by capture: inner capture folds over the training set score
   every reference flow with a model that never saw its capture, and the threshold is
   read off those scores. Without reference data (a corpus alone), the corpus flows
   stand in, with the flows of protocol groups left out of training (inner models that
   never saw those protocols) as the out-of-class flows; it is a weaker calibration.
5. Held-out metrics: `folds`-fold cross-validation where a fold holds whole captures,
   corpus and reference alike (stratified by protocol), each fold calibrating its own
   threshold (step 4 inside the fold): every flow is scored by a model that saw nothing
   of its capture, not the flow, not its views, not its sibling flows. On the reference
   flows: the precision of the names given and how many of the detectors' unknowns get
   one (the model as the fallback), macro-F1 over the classes, the share of flows of
   other protocols called "unknown" (open-set rejection).
6. The shipped model: fitted on every flow and view, with the threshold of step 4
   calibrated on all of them.

A `generated` set (`pcaps/generate --realistic`: real clients and servers across an
impaired 1500-byte link; data.load_generated keeps the flows whose generator label the
detectors confirm) adds training rows of kind "gen" (and their views, "genview"). They
are training material only: never held out, never scored, so every figure of step 5 is
on the corpus and the reference captures, with and without them alike.
"""
from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import augment as aug
from . import data as mldata
from . import evaluate, features
from .forest import Forest
from .model import OTHER, UNKNOWN, Model

LEARNERS = {"rf": "sklearn.ensemble.RandomForestClassifier", "extra": "sklearn.ensemble.ExtraTreesClassifier",
            "hgb": "sklearn.ensemble.HistGradientBoostingClassifier"}
# Learners the shipped model can use: those whose trees compile to forest.Forest (averaged
# leaf probabilities). "hgb" (boosted trees: summed leaf scores and a softmax) is for the
# comparison of learners only (`python -m classifier.ml.compare`).
SHIPPABLE = ("rf", "extra")


class _Sklearn:
    """A fitted scikit-learn classifier with the Forest's predict_proba signature."""

    def __init__(self, est, n_classes: int, index: List[int]) -> None:
        self.est, self.n_classes, self.index = est, n_classes, index

    def predict_proba(self, X: np.ndarray, n_features: int) -> np.ndarray:
        out = np.zeros((len(X), self.n_classes), np.float32)
        out[:, self.index] = self.est.predict_proba(X)
        return out


@dataclass
class Settings:
    seed: int = 0
    learner: str = "rf"                # "rf" or "extra" (both compile to the same Forest arrays)
    n_trees: int = 32                  # inference cost grows with it (bench/ml.py)
    max_features: str = "sqrt"
    min_samples_leaf: int = 2          # no leaf for a single (weighted) row: smoother probabilities
    folds: int = 5                     # outer capture folds (held-out metrics)
    inner_folds: int = 3               # capture folds inside a calibration
    unknown_groups: int = 5            # protocol groups (calibration without reference data)
    min_class_flows: int = 3
    augment: bool = True
    view_weight: float = 1.0           # all views of one flow weigh this much together
    reference_group_weight: float = 4.0    # one protocol's flows in one reference capture, at most
    precision_target: float = 0.98     # names right at least this often on held-out real traffic (issue: 0.97)
    generated_weight: float = 1.0      # a generated flow (with its views) weighs this much (--generated only)


KINDS = ("flow", "view", "ref", "refview", "gen", "genview")   # corpus flow, its view, reference flow, its
# view, generated flow (pcaps/generate --realistic), its view
_FIELDS = ("X", "y", "capture", "weight", "kind", "variant", "origin", "detected", "runs")


@dataclass
class Pool:
    """Feature rows for training: corpus flows, reference flows, their views."""
    X: np.ndarray
    y: np.ndarray           # class names (object); OTHER for reference flows of other protocols
    capture: np.ndarray     # split unit
    weight: np.ndarray
    kind: np.ndarray        # one of KINDS
    variant: np.ndarray
    origin: np.ndarray      # nDPI's name of a reference flow, "corpus" otherwise
    detected: np.ndarray    # the detectors' label of a reference flow ("" when not run)
    runs: np.ndarray        # the model is asked about this flow (combine.runs_on)

    def take(self, idx) -> "Pool":
        return Pool(*(getattr(self, f)[idx] for f in _FIELDS))

    @property
    def original(self) -> np.ndarray:
        return (self.kind == "flow") | (self.kind == "ref")


def _rows(fs: mldata.FlowSet, kind: str, weight: np.ndarray) -> Pool:
    from .combine import runs_on
    n = len(fs)
    col = lambda xs, default: np.asarray(xs if xs else [default] * n, object)   # noqa: E731
    return Pool(features.extract_records(fs.records, fs.payload), np.asarray(fs.labels, object),
                np.asarray(fs.captures, object), np.asarray(weight, float), np.full(n, kind, object),
                col(fs.variants, ""), col(fs.origin, "corpus"), col(fs.detected, ""), runs_on(fs.records))


def _pool(fs: mldata.FlowSet, kind: str, settings: Settings, weight: Optional[np.ndarray] = None) -> Pool:
    """Rows of `fs` (kind "flow" or "ref") and of their views; `weight` per flow (1)."""
    n = len(fs)
    weight = np.ones(n) if weight is None else np.asarray(weight, float)
    parts = [_rows(fs, kind, weight)]
    if settings.augment and n:
        views, w, _names, src = aug.augment(fs, settings.view_weight, sources=True)
        if len(views):
            parts.append(_rows(views, {"flow": "view", "ref": "refview", "gen": "genview"}[kind], w * weight[src]))
    return _concat(parts)


def _concat(parts: Sequence[Pool]) -> Pool:
    return Pool(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


def _group_weights(fs: mldata.FlowSet, cap: float) -> np.ndarray:
    """Per reference flow: 1, or less so that one (capture, label) group weighs at most `cap`."""
    keys = list(zip(fs.captures, fs.labels))
    count: Dict[tuple, int] = {}
    for k in keys:
        count[k] = count.get(k, 0) + 1
    return np.asarray([min(1.0, cap / count[k]) for k in keys], float)


def balanced(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weights scaled so that every class weighs the same in total (by weight)."""
    classes, inv = np.unique(y.astype(str), return_inverse=True)
    tot = np.bincount(inv, weights=w)
    return w * (tot.mean() / np.maximum(tot, 1e-12))[inv]


def fit(pool: Pool, classes: List[str], settings: Settings, seed: int) -> Forest:
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    if settings.learner == "hgb":
        est = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, min_samples_leaf=5,
                                             early_stopping=False, random_state=seed)
    else:
        est_cls = {"rf": RandomForestClassifier, "extra": ExtraTreesClassifier}[settings.learner]
        est = est_cls(n_estimators=settings.n_trees, max_features=settings.max_features,
                      min_samples_leaf=settings.min_samples_leaf, random_state=seed, n_jobs=1)
    est.fit(pool.X, pool.y.astype(str), sample_weight=balanced(pool.y, pool.weight))
    index = [classes.index(c) for c in est.classes_]
    if settings.learner == "hgb":
        return _Sklearn(est, len(classes), index)
    return Forest.from_sklearn(est.estimators_, len(classes), index)


def _right(pool: Pool, rows: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Per row of `rows`: is the model's name right (data.name_agrees)?"""
    return np.asarray([mldata.name_agrees(o, y, n) for o, y, n in zip(pool.origin[rows], pool.y[rows], names)], bool)


def _capture_folds(pool: Pool, k: int, seed: int) -> List[np.ndarray]:
    """Captures of the original flows dealt into k folds, stratified by the capture's
    first protocol: sorted per protocol, shuffled with the seed, dealt round-robin."""
    rng = np.random.default_rng(seed)
    first = {}
    for cap, y, orig in zip(pool.capture, pool.y, pool.original):
        if orig:
            first.setdefault(cap, y)
    by_class: Dict[str, list] = {}
    for cap in sorted(first):
        by_class.setdefault(first[cap], []).append(cap)
    folds: List[list] = [[] for _ in range(k)]
    start = 0
    for cls in sorted(by_class):
        caps = by_class[cls]
        order = rng.permutation(len(caps))
        for j, i in enumerate(order):
            folds[(start + j) % k].append(caps[i])
        start += len(caps)
    return [np.asarray(f, object) for f in folds]


def _protocol_groups(classes: List[str], k: int, seed: int) -> List[List[str]]:
    rng = np.random.default_rng(seed)
    order = [classes[i] for i in rng.permutation(len(classes))]
    return [sorted(order[i::k]) for i in range(k) if order[i::k]]


def _scores(forest: Forest, X: np.ndarray, classes: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """(most probable class, its probability) per row, closed set."""
    proba = forest.predict_proba(X, features.N_FEATURES)
    best = proba.argmax(axis=1)
    return np.asarray(classes, object)[best], proba[np.arange(len(best)), best]


def decide(closed: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    """What Model.decide says: the class, or "unknown" for OTHER or below the threshold."""
    return np.where((closed != OTHER) & (p >= threshold), closed, UNKNOWN).astype(object)


def choose_threshold(p, named, right, target: float) -> float:
    """The lowest threshold at which the names given (rows with `named`, a protocol and
    not OTHER, and probability at or above it) are right at least `target` of the time;
    the midpoint below the lowest score accepted. 1.0 (never speak) when none is."""
    p = np.asarray(p, float)[np.asarray(named, bool)]
    right = np.asarray(right, bool)[np.asarray(named, bool)]
    if not len(p):
        return 1.0
    order = np.argsort(-p, kind="stable")
    ps, rs = p[order], right[order]
    prec = np.cumsum(rs) / np.arange(1, len(ps) + 1)
    # accepting the top i+1 scores is only possible at a cut between distinct scores
    cut = np.append(ps[1:] < ps[:-1], True)
    ok = np.flatnonzero((prec >= target) & cut)
    if not len(ok):
        return 1.0
    i = ok[-1]
    below = ps[i + 1] if i + 1 < len(ps) else 0.0
    return float((ps[i] + below) / 2)


def calibrate(pool: Pool, classes: List[str], settings: Settings, seed: int) -> float:
    """Threshold for a model trained on `pool` (step 4 of the module docstring)."""
    real = pool.kind == "ref"
    test_kind = real if real.any() else (pool.kind == "flow")
    ps, named, right = [], [], []
    for j, held in enumerate(_capture_folds(pool, settings.inner_folds, seed + 1)):
        test = np.isin(pool.capture, held)
        rows = test & test_kind & pool.runs
        if not rows.any() or test.all():
            continue
        f = fit(pool.take(~test), classes, settings, seed + 10 + j)
        closed, p = _scores(f, pool.X[rows], classes)
        ps.append(p)
        named.append(closed != OTHER)
        right.append(_right(pool, rows, closed))
    if not real.any():
        # no real out-of-class traffic: flows of protocols an inner model never saw
        present = sorted(set(pool.y.tolist()) - {OTHER})
        for j, group in enumerate(_protocol_groups(present, settings.unknown_groups, seed + 2)):
            test = np.isin(pool.y, group)
            if test.all() or not test.any():
                continue
            f = fit(pool.take(~test), classes, settings, seed + 20 + j)
            closed, p = _scores(f, pool.X[test & test_kind & pool.runs], classes)
            ps.append(p)
            named.append(closed != OTHER)
            right.append(np.zeros(len(p), bool))
    if not ps:
        return 0.5
    return choose_threshold(np.concatenate(ps), np.concatenate(named), np.concatenate(right),
                            settings.precision_target)


def _set_sha256(d: str) -> Optional[str]:
    """The generated set's own hash (training-set.json, pcaps/gen/realistic.set_hash)."""
    import json
    import os
    with open(os.path.join(d, mldata.GENERATED_INFO), encoding="utf-8") as fh:
        return json.load(fh).get("sha256")


def _dirname(d: str) -> str:
    return d.rstrip("/").split("/")[-1]


def _reference(d: str, classes: List[str], settings: Settings, captures: Optional[Dict[str, List[str]]],
               detectors: bool) -> Pool:
    listed = None if captures is None else captures.get(_dirname(d), [])
    ex = mldata.load_reference(d, captures=listed, detectors=detectors)
    ex = ex.subset(np.flatnonzero(features.eligible(ex.records)))
    ex.labels = [lab if lab in classes else OTHER for lab in ex.labels]
    ex.captures = [f"ref:{d.rstrip('/').split('/')[-1]}/{c}" for c in ex.captures]
    return _pool(ex, "ref", settings, _group_weights(ex, settings.reference_group_weight))


def build_pool(corpus: str, extra: Sequence[str], settings: Settings, log: Callable[[str], None] = lambda s: None,
               captures: Optional[Sequence[str]] = None, extra_captures: Optional[Dict[str, List[str]]] = None,
               detectors: bool = False, generated: Sequence[str] = ()) -> Tuple[Pool, List[str], mldata.FlowSet]:
    """Step 1-3 of the module docstring: the training rows, the classes, and the corpus
    flows of no protocol (open-set test data). `detectors`: run the payload detectors
    on the reference flows (for the fallback figure; never a training input)."""
    fs = mldata.load_corpus(corpus, captures)
    fs = fs.subset(np.flatnonzero(features.eligible(fs.records)))
    counts: Dict[str, int] = {}
    for lab in fs.labels:
        counts[lab] = counts.get(lab, 0) + 1
    protocols = sorted(c for c, n in counts.items() if c != UNKNOWN and n >= settings.min_class_flows)
    is_class = np.isin(np.asarray(fs.labels, object), protocols)
    known_fs = fs.subset(np.flatnonzero(is_class))
    unk_fs = fs.subset(np.flatnonzero(np.asarray(fs.labels, object) == UNKNOWN))
    log(f"corpus: {len(fs)} flows with payload, {len(set(fs.captures))} captures, {len(protocols)} classes")
    parts = [_pool(known_fs, "flow", settings)]
    for d in extra:
        ref = _reference(d, protocols, settings, extra_captures, detectors=detectors)
        parts.append(ref)
        r = ref.kind == "ref"
        log(f"reference {d}: {int(r.sum())} flows nDPI labelled, {int(np.sum(r & (ref.y == OTHER)))} "
            f"of other protocols, {len(set(ref.capture[r]))} captures")
    for d in generated:
        gs, counts = mldata.load_generated(d)
        gs = gs.subset(np.flatnonzero(features.eligible(gs.records)))
        gs = gs.subset([i for i, lab in enumerate(gs.labels) if lab in protocols])
        parts.append(_pool(gs, "gen", settings, np.full(len(gs), settings.generated_weight)))
        dropped = {k: v for k, v in counts.items() if "->" in k}
        log(f"generated {d}: {counts['kept']} of {counts['flows']} flows confirmed by the detectors, "
            f"{len(gs)} trained on; not confirmed: {dropped or 'none'}")
    pool_all = _concat(parts)
    classes = sorted(set(protocols) | ({OTHER} if np.any(pool_all.y == OTHER) else set()))
    log("training rows: " + ", ".join(f"{int(np.sum(pool_all.kind == k))} {k}" for k in KINDS))
    return pool_all, classes, unk_fs


def train(corpus: str, extra: Union[str, Sequence[str]] = (), evals: Union[str, Sequence[str]] = (),
          settings: Settings = None, log: Callable[[str], None] = lambda s: None, metrics: bool = True,
          captures: Optional[Sequence[str]] = None, extra_captures: Optional[Dict[str, List[str]]] = None,
          generated: Union[str, Sequence[str]] = ()) -> Model:
    """The model of the module docstring. `metrics=False` skips step 5 (the held-out
    figures, most of the time): the model file is the same, the manifest has no metrics.
    `extra` and `evals`: one directory or a list of them. `captures`: train on these
    corpus captures only (the shipped model's pinned list, models/training-captures.txt);
    None: every capture of the manifest. `extra_captures`: the same for the `extra`
    directories' captures, {directory's last component: names in its pcaps/}
    (data.split_capture_list); None: all of them. `generated`: sets written by `pcaps/generate
    --realistic` (training rows only, see the module docstring)."""
    from .._paths import as_paths
    extra, evals = as_paths(extra, "extra"), as_paths(evals, "evals")
    generated = as_paths(generated, "generated")
    settings = settings or Settings()
    if settings.learner not in SHIPPABLE:
        raise ValueError(f"learner {settings.learner!r}: a model file holds one of {', '.join(SHIPPABLE)}")
    t0 = time.time()
    pool_all, classes, unk_fs = build_pool(corpus, extra, settings, log, captures, extra_captures, detectors=metrics,
                                            generated=generated)

    seed = settings.seed
    metrics = _heldout_metrics(pool_all, classes, settings, log) if metrics else {}

    # 6. the shipped model
    threshold = calibrate(pool_all, classes, settings, seed + 7)
    forest = fit(pool_all, classes, settings, seed)
    model = Model(forest, classes, threshold, {})
    log(f"threshold {threshold:.4f}")
    if len(unk_fs):
        up, _ = model.predict(features.extract_records(unk_fs.records, unk_fs.payload))
        metrics["corpus_unknown_flows"] = {
            "what": "corpus flows labelled 'unknown' by the generator (TURN relay test pattern), never trained on",
            **evaluate.rejection(up, [f"{lab}:{v}" for lab, v in zip(unk_fs.labels, unk_fs.variants)])}
    for d in evals:
        metrics.setdefault("reference", {})[d.rstrip("/").split("/")[-1]] = evaluate.evaluate_reference(model, d)
        log(f"evaluated on {d}")

    import sklearn
    manifest_lines, files = mldata.corpus_inputs(corpus, captures)
    extra_files = [f for d in extra for f in
                   mldata.reference_files(d, None if extra_captures is None else extra_captures.get(_dirname(d), []))]
    extra_files += [f for d in generated for f in mldata.generated_inputs(d)]
    model.manifest = {
        "trained_with": {"python": platform.python_version(), "numpy": np.__version__,
                         "scikit-learn": sklearn.__version__},
        "training": {
            "command": "portlens train --corpus " + " ".join(["pcaps/"] + [f"--extra {d}" for d in extra]
                                                           + [f"--generated {d}" for d in generated]
                                                           + [f"--eval {d}" for d in evals] + [f"--seed {seed}"]),
            "data_sha256": mldata.files_hash(files + extra_files, [("manifest.jsonl", manifest_lines)]),
            "corpus_captures": len(files),
            "extra": [_dirname(d) for d in extra],
            "extra_captures": len(set(pool_all.capture[pool_all.kind == "ref"])),
            "flows": int(np.sum(pool_all.kind == "flow")),
            "view_rows": int(np.sum(pool_all.kind == "view")),
            "extra_flows": int(np.sum(pool_all.kind == "ref")),
            "extra_view_rows": int(np.sum(pool_all.kind == "refview")),
            "class_flows": {c: int(np.sum((pool_all.y == c) & pool_all.original)) for c in classes},
            **({"generated": [{"set": _dirname(d), "sha256": _set_sha256(d)} for d in generated],
                "generated_flows": int(np.sum(pool_all.kind == "gen")),
                "generated_view_rows": int(np.sum(pool_all.kind == "genview"))} if generated else {}),
            "estimator": LEARNERS[settings.learner],
            "settings": asdict(settings),
            "view_kinds": list(aug.VIEWS) if settings.augment else [],
        },
        "metrics": metrics,
    }
    log(f"trained in {time.time() - t0:.0f} s")
    return model


def _fallback(pool: Pool, rows: np.ndarray, pred: np.ndarray, classes: List[str]) -> Dict:
    """The model as the fallback on reference flows the detectors left unknown."""
    fb = rows & (pool.detected == UNKNOWN) & pool.runs
    y, pr = pool.y[fb], pred[fb]
    named = pr != UNKNOWN
    right = named & _right(pool, fb, pr)
    wrong = collections_counter((f"{o} -> {p}" for o, p in zip(pool.origin[fb][named & ~right], pr[named & ~right])))
    in_class = y != OTHER
    return {
        "what": "reference flows (nDPI DPI labels) the detectors left unknown and the model is asked about "
                "(TCP/UDP, payload, at least two packets), each scored by a model that never saw its capture",
        "flows": int(fb.sum()),
        "of_the_models_protocols": int(in_class.sum()),
        "named": int(named.sum()),
        "right": int(right.sum()),
        "precision": round(float(right.sum() / named.sum()), 4) if named.any() else None,
        "coverage": round(float(named.sum() / fb.sum()), 4) if fb.any() else 0.0,
        "coverage_of_the_models_protocols": round(float(right[in_class].sum() / in_class.sum()), 4)
        if in_class.any() else None,
        "wrong": dict(sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def collections_counter(items) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for it in items:
        out[it] = out.get(it, 0) + 1
    return out


def _heldout_metrics(pool: Pool, classes: List[str], settings: Settings, log: Callable[[str], None]) -> Dict:
    """Step 5 of the module docstring."""
    seed = settings.seed
    protocols = [c for c in classes if c != OTHER]
    pred = np.full(len(pool.y), UNKNOWN, object)
    closed = np.full(len(pool.y), UNKNOWN, object)
    fold_thresholds = []
    scored = pool.original | (pool.kind == "view")          # the corpus views: a partial-flow figure
    for j, held in enumerate(_capture_folds(pool, settings.folds, seed)):
        test = np.isin(pool.capture, held)
        train_pool = pool.take(~test)
        thr = calibrate(train_pool, classes, settings, seed + 100 * (j + 1))
        f = fit(train_pool, classes, settings, seed + 1000 + j)
        t_idx = np.flatnonzero(test & scored)
        c, p = _scores(f, pool.X[t_idx], classes)
        closed[t_idx] = c
        pred[t_idx] = decide(c, p, thr)
        fold_thresholds.append(round(thr, 4))
        log(f"fold {j + 1}/{settings.folds}: {len(held)} captures held out, threshold {thr:.3f}")
    split = (f"{settings.folds}-fold cross-validation over captures (corpus and reference alike, stratified by "
             "protocol): each flow scored by a model that never saw its capture, with the threshold its fold "
             "calibrated on its own training captures")
    corpus = pool.kind == "flow"
    metrics: Dict = {"heldout": {"split": split, "fold_thresholds": fold_thresholds}}
    metrics["corpus_heldout"] = {
        **evaluate.report(pool.y[corpus], pred[corpus], protocols),
        "closed_set": {k: v for k, v in evaluate.report(pool.y[corpus], closed[corpus], protocols).items()
                       if k in ("flows", "accuracy", "macro_f1")},
        "views": {k: v for k, v in evaluate.report(pool.y[pool.kind == "view"], pred[pool.kind == "view"],
                                                   protocols).items() if k in ("flows", "accuracy", "macro_f1")},
    }
    ref = (pool.kind == "ref") & pool.runs
    if ref.any():
        y, pr = pool.y[ref], pred[ref]
        named = pr != UNKNOWN
        known = y != OTHER
        metrics["reference_heldout"] = {
            "what": "reference flows (nDPI DPI labels) the model is asked about (TCP/UDP, payload, at least two "
                    "packets), whatever the detectors say: the model as a second opinion (--ml all)",
            "flows": int(ref.sum()),
            "named": int(named.sum()),
            "precision": round(float(np.mean(_right(pool, ref, pr)[named])), 4) if named.any() else None,
            "scoring": "a name is right when it is our name for nDPI's label, or the wire protocol nDPI's "
                       "protocol is carried in (classifier.ml.data.NDPI_CARRIED_BY: DNScrypt's certificate "
                       "query is DNS, SOAP is HTTP)",
            "known": evaluate.report(y[known], pr[known], protocols),
            "known_closed_set": {k: v for k, v in evaluate.report(y[known], closed[ref][known], protocols).items()
                                 if k in ("flows", "accuracy", "macro_f1")},
            "other_protocols": evaluate.rejection(pr[~known], pool.origin[ref][~known], _right(pool, ref, pr)[~known]),
        }
        if np.any(pool.detected[ref] != ""):
            metrics["fallback_heldout"] = _fallback(pool, pool.kind == "ref", pred, classes)
        r = metrics["reference_heldout"]
        log(f"held out, reference: names right {r['precision']}, macro-F1 {r['known']['macro_f1']:.4f}, "
            f"other protocols called unknown {r['other_protocols']['unknown_rate']:.4f}, "
            f"wrongly named {r['other_protocols']['wrongly_named_rate']:.4f}")
        if "fallback_heldout" in metrics:
            fb = metrics["fallback_heldout"]
            log(f"held out, fallback: {fb['named']} of {fb['flows']} detector unknowns named, {fb['right']} right")
    log(f"held out, corpus: macro-F1 {metrics['corpus_heldout']['macro_f1']:.4f}")
    return metrics
