"""Training: the corpus in, a model and its honest held-out metrics out.

What `train(corpus, ...)` does, every step seeded (`Settings.seed`) so that the same
inputs and library versions give the same model file, byte for byte:

1. Flows: every corpus flow that is TCP or UDP with payload. Classes: the corpus
   protocols with at least `min_class_flows` flows; the generator's "unknown" flows (a
   TURN relay's test pattern) are never a class: they are open-set test data. Each `extra`
   directory (ndpi-dev layout) adds its flows of named protocols to every training set.
2. Views (`augment.py`): each training flow also gives the views a capture could show of
   it (first packets only, one direction, joined mid-stream, Ethernet-sized segments).
3. Held-out metrics, split by capture: `folds`-fold cross-validation where a fold holds
   whole captures (stratified by protocol), so every corpus flow is scored by a model that
   saw nothing of its capture - not the flow, not its views, not its sibling flows. The
   threshold each of those models uses is calibrated on its own training captures only
   (step 5 run inside the fold), so the figures include the open-set rule.
4. Unknown protocols: the classes are dealt into `unknown_groups` groups; for each group a
   model is trained (and calibrated) without those protocols at all, and the share of
   their flows it calls "unknown" is the rejection rate. The corpus "unknown" flows are
   scored by the final model.
5. Threshold (open set): a flow whose top class probability is below it is "unknown".
   Calibration on a training set: inner capture folds give scores of flows of known
   protocols (originals and their views), inner protocol groups give scores of flows of
   protocols the inner model never saw; the threshold maximises the mean of "known flow
   accepted with the right class" and "unknown flow rejected" (each flow weighs 1, its
   views share 1).
6. The shipped model: the forest fitted on every corpus flow and view (plus extra data),
   with the threshold calibrated on all of them.
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
from .model import UNKNOWN, Model


@dataclass
class Settings:
    seed: int = 0
    n_trees: int = 32                  # inference cost grows with it (bench/ml.py)
    max_features: str = "sqrt"
    min_samples_leaf: int = 2          # no leaf for a single (weighted) row: smoother probabilities
    class_weight: Optional[str] = "balanced"   # ~4-25 flows per class: rare classes count alike
    folds: int = 5                     # outer capture folds (held-out metrics)
    inner_folds: int = 4               # capture folds inside a calibration
    unknown_groups: int = 5            # protocol groups (rejection rate and calibration)
    min_class_flows: int = 3
    augment: bool = True
    view_weight: float = 1.0           # all views of one flow weigh this much together


@dataclass
class Pool:
    """Feature rows for training: original flows, their views, extra data."""
    X: np.ndarray
    y: np.ndarray           # class names (object)
    capture: np.ndarray     # split unit
    weight: np.ndarray
    kind: np.ndarray        # "flow", "view" or "extra"
    variant: np.ndarray

    def take(self, idx) -> "Pool":
        return Pool(*(getattr(self, f)[idx] for f in ("X", "y", "capture", "weight", "kind", "variant")))


def _pool(fs: mldata.FlowSet, kind: str, settings: Settings) -> Pool:
    X = features.extract_records(fs.records, fs.payload)
    n = len(fs)
    parts = [Pool(X, np.asarray(fs.labels, object), np.asarray(fs.captures, object), np.ones(n),
                  np.full(n, kind, object), np.asarray(fs.variants or [""] * n, object))]
    if settings.augment and n:
        views, w, _names = aug.augment(fs, settings.view_weight)
        if len(views):
            parts.append(Pool(features.extract_records(views.records, views.payload),
                              np.asarray(views.labels, object), np.asarray(views.captures, object), w,
                              np.full(len(views), "view" if kind == "flow" else kind, object),
                              np.asarray(views.variants or [""] * len(views), object)))
    return _concat(parts)


def _concat(parts: Sequence[Pool]) -> Pool:
    return Pool(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("X", "y", "capture", "weight", "kind", "variant")))


def fit(pool: Pool, classes: List[str], settings: Settings, seed: int) -> Forest:
    from sklearn.ensemble import RandomForestClassifier
    est = RandomForestClassifier(n_estimators=settings.n_trees, max_features=settings.max_features,
                                 min_samples_leaf=settings.min_samples_leaf, class_weight=settings.class_weight,
                                 random_state=seed, n_jobs=1)
    est.fit(pool.X, pool.y.astype(str), sample_weight=pool.weight)
    index = [classes.index(c) for c in est.classes_]
    return Forest.from_sklearn(est.estimators_, len(classes), index)


def _capture_folds(pool: Pool, k: int, seed: int) -> List[np.ndarray]:
    """Captures of the original flows dealt into k folds, stratified by the capture's
    protocol: sorted per protocol, shuffled with the seed, dealt round-robin."""
    rng = np.random.default_rng(seed)
    first = {}
    for cap, y, kind in zip(pool.capture, pool.y, pool.kind):
        if kind == "flow":
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
    proba = forest.predict_proba(X, features.N_FEATURES)
    best = proba.argmax(axis=1)
    return np.asarray(classes, object)[best], proba[np.arange(len(best)), best]


def choose_threshold(known_p, known_ok, known_w, unk_p, unk_w) -> float:
    """The threshold maximising mean(known accepted and right, unknown rejected), weighted;
    the midpoint between the two scores where the optimum is reached (lowest on ties)."""
    kp, kw = np.asarray(known_p, float), np.asarray(known_w, float) * np.asarray(known_ok, float)
    up, uw = np.asarray(unk_p, float), np.asarray(unk_w, float)
    ktot, utot = max(np.sum(known_w), 1e-12), max(np.sum(uw), 1e-12)
    cand = np.unique(np.concatenate([kp, up, [0.0, 1.0]]))
    # threshold t accepts p >= t; evaluate t at every distinct score
    ks, us = np.argsort(kp), np.argsort(up)
    kc = np.concatenate([[0], np.cumsum(kw[ks])])       # weight of known-right with p < t
    uc = np.concatenate([[0], np.cumsum(uw[us])])
    k_acc = (kc[-1] - kc[np.searchsorted(kp[ks], cand, side="left")]) / ktot
    u_rej = uc[np.searchsorted(up[us], cand, side="left")] / utot
    score = k_acc + u_rej
    best = int(np.argmax(np.round(score, 12)))
    lo = cand[best - 1] if best > 0 else 0.0
    return float((lo + cand[best]) / 2) if best > 0 else 0.0


def calibrate(pool: Pool, classes: List[str], settings: Settings, seed: int) -> float:
    """Threshold for a model trained on `pool` (step 5 of the module docstring)."""
    kp, kok, kw, up, uw = [], [], [], [], []
    corpus = pool.kind != "extra"
    for j, held in enumerate(_capture_folds(pool, settings.inner_folds, seed + 1)):
        test = np.isin(pool.capture, held) & corpus
        if not test.any():
            continue
        f = fit(pool.take(~test), classes, settings, seed + 10 + j)
        pred, p = _scores(f, pool.X[test], classes)
        kp.append(p)
        kok.append(pred == pool.y[test])
        kw.append(pool.weight[test])
    present = sorted(set(pool.y.tolist()))
    for j, group in enumerate(_protocol_groups(present, settings.unknown_groups, seed + 2)):
        test = np.isin(pool.y, group)
        if test.all() or not test.any():
            continue
        f = fit(pool.take(~test), classes, settings, seed + 20 + j)
        _pred, p = _scores(f, pool.X[test & corpus], classes)
        up.append(p)
        uw.append(pool.weight[test & corpus])
    if not kp or not up:
        return 0.5
    return choose_threshold(np.concatenate(kp), np.concatenate(kok), np.concatenate(kw),
                            np.concatenate(up), np.concatenate(uw))


def train(corpus: str, extra: Union[str, Sequence[str]] = (), evals: Union[str, Sequence[str]] = (),
          settings: Settings = None, log: Callable[[str], None] = lambda s: None, metrics: bool = True,
          captures: Optional[Sequence[str]] = None) -> Model:
    """The model of the module docstring. `metrics=False` skips steps 3-4 (the held-out
    figures, most of the time): the model file is the same, the manifest has no metrics.
    `extra` and `evals`: one directory or a list of them. `captures`: train on these
    corpus captures only (the shipped model's pinned list, models/training-captures.txt);
    None: every capture of the manifest."""
    from .._paths import as_paths
    extra, evals = as_paths(extra, "extra"), as_paths(evals, "evals")
    settings = settings or Settings()
    t0 = time.time()
    fs = mldata.load_corpus(corpus, captures)
    fs = fs.subset(np.flatnonzero(features.eligible(fs.records)))
    counts: Dict[str, int] = {}
    for lab in fs.labels:
        counts[lab] = counts.get(lab, 0) + 1
    classes = sorted(c for c, n in counts.items() if c != UNKNOWN and n >= settings.min_class_flows)
    is_class = np.isin(np.asarray(fs.labels, object), classes)
    known_fs = fs.subset(np.flatnonzero(is_class))
    unk_fs = fs.subset(np.flatnonzero(np.asarray(fs.labels, object) == UNKNOWN))
    log(f"corpus: {len(fs)} flows with payload, {len(set(fs.captures))} captures, {len(classes)} classes")
    pool = _pool(known_fs, "flow", settings)
    extra_pools = []
    for d in extra:
        ex = mldata.load_reference(d)
        ex = ex.subset(np.flatnonzero(features.eligible(ex.records) & (np.asarray(ex.labels, object) != UNKNOWN)))
        ex.captures = [f"extra:{d}:{c}" for c in ex.captures]
        extra_pools.append(_pool(ex, "extra", settings))
        log(f"extra {d}: {len(ex)} labelled flows")
    if extra_pools:
        ep = _concat(extra_pools)
        new = sorted(set(ep.y.tolist()) - set(classes))
        keep = np.isin(ep.y, classes + [c for c in new if np.sum((ep.y == c) & (ep.kind == "extra")) >= settings.min_class_flows])
        ep = ep.take(keep)
        classes = sorted(set(classes) | set(ep.y.tolist()))
        pool_all = _concat([pool, ep])
    else:
        pool_all = pool
    log(f"training rows: {int(np.sum(pool_all.kind == 'flow'))} flows, {int(np.sum(pool_all.kind == 'view'))} views, "
        f"{int(np.sum(pool_all.kind == 'extra'))} extra")

    seed = settings.seed
    metrics = _heldout_metrics(pool, pool_all, ep if extra_pools else None, classes, settings, log) if metrics else {}

    # 6. the shipped model
    threshold = calibrate(pool_all, classes, settings, seed + 7)
    forest = fit(pool_all, classes, settings, seed)
    model = Model(forest, classes, threshold, {})
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
    extra_files = [f for d in extra for f in mldata.reference_files(d)]
    model.manifest = {
        "trained_with": {"python": platform.python_version(), "numpy": np.__version__,
                         "scikit-learn": sklearn.__version__},
        "training": {
            "command": "portlens train --corpus " + " ".join(["pcaps/"] + [f"--extra {d}" for d in extra]
                                                           + [f"--eval {d}" for d in evals] + [f"--seed {seed}"]),
            "data_sha256": mldata.files_hash(files + extra_files, [("manifest.jsonl", manifest_lines)]),
            "corpus_captures": len(files),
            "extra": [d.rstrip("/").split("/")[-1] for d in extra],
            "flows": int(np.sum(pool_all.kind == "flow")),
            "view_rows": int(np.sum(pool_all.kind == "view")),
            "extra_flows": int(np.sum(pool_all.kind == "extra")),
            "class_flows": {c: int(np.sum((pool_all.y == c) & (pool_all.kind != "view"))) for c in classes},
            "estimator": "sklearn.ensemble.RandomForestClassifier",
            "settings": asdict(settings),
            "view_kinds": list(aug.VIEWS) if settings.augment else [],
        },
        "metrics": metrics,
    }
    log(f"trained in {time.time() - t0:.0f} s")
    return model


def _heldout_metrics(pool: Pool, pool_all: Pool, ep: Optional[Pool], classes: List[str], settings: Settings,
                     log: Callable[[str], None]) -> Dict:
    """Steps 3 and 4 of the module docstring."""
    seed = settings.seed
    # 3. held out by capture, each fold calibrating its own threshold
    flows = pool.kind == "flow"
    oof_pred = np.empty(len(pool.y), object)
    oof_closed = np.empty(len(pool.y), object)
    fold_thresholds = []
    for j, held in enumerate(_capture_folds(pool, settings.folds, seed)):
        test = np.isin(pool_all.capture, held) & (pool_all.kind != "extra")
        train_pool = pool_all.take(~test)
        thr = calibrate(train_pool, classes, settings, seed + 100 * (j + 1))
        f = fit(train_pool, classes, settings, seed + 1000 + j)
        t_idx = np.flatnonzero(np.isin(pool.capture, held))
        closed, p = _scores(f, pool.X[t_idx], classes)
        oof_closed[t_idx] = closed
        oof_pred[t_idx] = np.where(p >= thr, closed, UNKNOWN)
        fold_thresholds.append(round(thr, 4))
        log(f"fold {j + 1}/{settings.folds}: {len(held)} captures held out, threshold {thr:.3f}")
    metrics = {
        "corpus_heldout": {
            "split": f"{settings.folds}-fold cross-validation over corpus captures (stratified by protocol); "
                     "each flow scored by a model that never saw its capture; open-set threshold calibrated "
                     "inside each fold",
            "fold_thresholds": fold_thresholds,
            **evaluate.report(pool.y[flows], oof_pred[flows], classes),
            "closed_set": {k: v for k, v in evaluate.report(pool.y[flows], oof_closed[flows], classes).items()
                           if k in ("flows", "accuracy", "macro_f1")},
            "views": {k: v for k, v in evaluate.report(pool.y[~flows], oof_pred[~flows], classes).items()
                      if k in ("flows", "accuracy", "macro_f1")},
        }
    }
    # stricter: whole variants held out (closed set), a new kind of exchange each time
    vpool = pool.take(np.ones(len(pool.y), bool))
    vpool.capture = np.asarray([f"{y}/{v}" for y, v in zip(pool.y, pool.variant)], object)
    vclosed = np.empty(len(pool.y), object)
    for j, held in enumerate(_capture_folds(vpool, settings.folds, seed + 5)):
        test = np.isin(vpool.capture, held)
        f = fit(_concat([vpool.take(~test)] + ([ep] if ep is not None else [])), classes, settings, seed + 2000 + j)
        vclosed[test], _ = _scores(f, pool.X[test], classes)
    vr = evaluate.report(pool.y[flows], vclosed[flows], classes)
    metrics["corpus_heldout_by_variant"] = {
        "split": f"{settings.folds}-fold cross-validation over (protocol, variant) groups: every flow scored by a "
                 "model that never saw an exchange of its variant; closed set (no threshold)",
        "flows": vr["flows"], "accuracy": vr["accuracy"], "macro_f1": vr["macro_f1"]}
    log(f"held out by capture: macro-F1 {metrics['corpus_heldout']['macro_f1']:.4f} "
        f"(closed set {metrics['corpus_heldout']['closed_set']['macro_f1']:.4f}); by variant {vr['macro_f1']:.4f}")

    # 4. unknown protocols: leave protocol groups out
    lpo_pred, lpo_true = [], []
    for j, group in enumerate(_protocol_groups(classes, settings.unknown_groups, seed + 3)):
        test = np.isin(pool_all.y, group)
        train_pool = pool_all.take(~test)
        sub_classes = [c for c in classes if c not in group]
        thr = calibrate(train_pool, sub_classes, settings, seed + 300 + 10 * j)
        f = fit(train_pool, sub_classes, settings, seed + 3000 + j)
        t = test & (pool_all.kind == "flow")
        closed, p = _scores(f, pool_all.X[t], sub_classes)
        lpo_pred.append(np.where(p >= thr, closed, UNKNOWN))
        lpo_true.append(pool_all.y[t])
        log(f"unknown group {j + 1}: {', '.join(group)}")
    metrics["unknown_protocols_heldout"] = {
        "split": f"The classes dealt into {settings.unknown_groups} groups; each group's flows scored by a model "
                 "trained and calibrated without any flow of those protocols",
        **evaluate.rejection(np.concatenate(lpo_pred), np.concatenate(lpo_true))}
    return metrics
