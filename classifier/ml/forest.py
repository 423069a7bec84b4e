"""A tree ensemble as plain arrays, and batched inference over it with numpy.

scikit-learn trains the forest; `Forest.from_sklearn` copies its trees into five flat
arrays, which is all the shipped model file holds (no pickle, nothing executable):

    feature[node]    int32    feature tested at an internal node (0 at a leaf)
    threshold[node]  float32  go left when x <= threshold (+inf at a leaf)
    children[node]   int32x2  (left, right) global node ids; a leaf points to itself
    leaf[node]       int32    row of `value` for a leaf, -1 for an internal node
    value[row]       float32  class probabilities at a leaf (rows sum to 1)
    roots[tree]      int32    each tree's root

Inference finds each flow's leaf in each tree, then averages the trees' leaf
probabilities (as scikit-learn's predict_proba does), in a compiled loop (`_forest.pyx`)
over these arrays once they were checked: every index in range, so the loop cannot read
outside them. scikit-learn is needed to train, never to predict (importing it costs
about 1.3 s and 100 MiB). `predict_proba_numpy` gives the same result in numpy alone:
the node ids of all (flow, tree) pairs advance together one level per step with a few
array gathers; a leaf points to itself, so after `depth` steps every pair sits on its
leaf. Tests check both against scikit-learn.

Thresholds: scikit-learn keeps them in float64 and compares float32 features against
them; we store the largest float32 not above each one, which gives the same decision
for every float32 input (a test checks predictions are identical).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import numpy as np

ARRAYS = ("feature", "threshold", "children", "leaf", "value", "roots")
_DTYPES = {"feature": np.int32, "threshold": np.float32, "children": np.int32,
           "leaf": np.int32, "value": np.float32, "roots": np.int32}


@dataclass
class Forest:
    feature: np.ndarray
    threshold: np.ndarray
    children: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: int

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    @property
    def n_classes(self) -> int:
        return self.value.shape[1]

    @classmethod
    def from_sklearn(cls, estimators, n_classes: int, class_index=None) -> "Forest":
        """Copy fitted DecisionTreeClassifiers. `class_index[i]` maps column i of a tree's
        value to a column of the forest (trees fitted on a subset of the classes)."""
        feats, thrs, kids, leaves, values, roots = [], [], [], [], [], []
        base = nleaf = depth = 0
        for est in estimators:
            t = est.tree_
            n = t.node_count
            is_leaf = t.children_left == -1
            f = np.where(is_leaf, 0, t.feature).astype(np.int32)
            thr = np.where(is_leaf, np.inf, t.threshold)
            thr32 = thr.astype(np.float32)
            over = thr32.astype(np.float64) > thr                     # rounded up: step down one ulp
            thr32[over] = np.nextafter(thr32[over], np.float32(-np.inf))
            ids = np.arange(n, dtype=np.int64) + base
            left = np.where(is_leaf, ids, t.children_left + base)
            right = np.where(is_leaf, ids, t.children_right + base)
            lf = np.full(n, -1, np.int64)
            lf[is_leaf] = np.arange(is_leaf.sum()) + nleaf
            v = t.value[is_leaf, 0, :].astype(np.float64)
            v = v / np.maximum(v.sum(axis=1, keepdims=True), 1e-300)
            full = np.zeros((len(v), n_classes), np.float64)
            cols = np.arange(v.shape[1]) if class_index is None else np.asarray(class_index)
            full[:, cols] = v
            feats.append(f)
            thrs.append(thr32)
            kids.append(np.stack([left, right], axis=1))
            leaves.append(lf)
            values.append(full.astype(np.float32))
            roots.append(base)
            base += n
            nleaf += int(is_leaf.sum())
            depth = max(depth, int(t.max_depth))
        return cls(np.concatenate(feats).astype(np.int32), np.concatenate(thrs).astype(np.float32),
                   np.concatenate(kids).astype(np.int32), np.concatenate(leaves).astype(np.int32),
                   np.concatenate(values).astype(np.float32), np.asarray(roots, np.int32), depth)

    def arrays(self) -> Dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in ARRAYS}

    @classmethod
    def from_arrays(cls, arrs: Dict[str, np.ndarray]) -> "Forest":
        """Rebuild from stored arrays, checking that they form a well-made forest (a file
        that passed its checksum can still have been written by a buggy or hostile tool:
        every index must point inside its array, or inference would read out of bounds)."""
        try:
            a = {k: np.asarray(arrs[k]) for k in ARRAYS}
        except KeyError as e:
            raise ValueError(f"array {e.args[0]!r} is missing") from None
        for k in ARRAYS:
            if a[k].dtype != _DTYPES[k]:
                raise ValueError(f"array {k!r} has dtype {a[k].dtype}, expected {np.dtype(_DTYPES[k])}")
        n = len(a["feature"])
        if a["threshold"].shape != (n,) or a["leaf"].shape != (n,) or a["children"].shape != (n, 2):
            raise ValueError("node arrays disagree in length")
        if a["value"].ndim != 2 or not len(a["roots"]) or n == 0:
            raise ValueError("empty forest or malformed leaf values")
        if a["children"].min() < 0 or a["children"].max() >= n or a["roots"].min() < 0 or a["roots"].max() >= n:
            raise ValueError("a node points outside the forest")
        if a["leaf"].min() < -1 or a["leaf"].max() >= len(a["value"]):
            raise ValueError("a leaf points outside the value table")
        is_leaf = a["leaf"] >= 0
        ids = np.arange(n)
        if not (np.all(a["children"][is_leaf, 0] == ids[is_leaf]) and np.all(a["children"][is_leaf, 1] == ids[is_leaf])):
            raise ValueError("a leaf does not point to itself")
        # depth: every internal node's children come after it, so walks end within n steps;
        # measure the deepest path level by level.
        if np.any(a["children"][~is_leaf] <= ids[~is_leaf, None]):
            raise ValueError("a child precedes its parent (a cycle is possible)")
        depth = _depth(a["children"], is_leaf, a["roots"])
        return cls(depth=depth, **a)

    def predict_proba(self, X: np.ndarray, n_features: int) -> np.ndarray:
        """Class probabilities, float32 (n, n_classes); X is float32 (n, n_features)."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        n = len(X)
        if n == 0:
            return np.zeros((0, self.n_classes), np.float32)
        if X.shape[1] != n_features or self.feature.max(initial=0) >= n_features:
            raise ValueError("feature count mismatch")
        from ._forest import forest_proba
        return forest_proba(X, self.feature, self.threshold, self.children, self.leaf, self.value, self.roots)

    def predict_proba_numpy(self, X: np.ndarray) -> np.ndarray:
        """The same result in numpy alone (the fallback; several times slower)."""
        n, n_features = X.shape
        flat = X.ravel()
        node = np.broadcast_to(self.roots, (n, self.n_trees)).copy()
        rowbase = (np.arange(n, dtype=np.int32) * np.int32(n_features))[:, None]
        feat, thr, kids = self.feature, self.threshold, self.children.ravel()
        for _ in range(self.depth):
            right = flat[rowbase + feat[node]] > thr[node]
            node = kids[2 * node + right]
        proba = self.value[self.leaf[node]].sum(axis=1)
        proba *= np.float32(1.0 / self.n_trees)
        return proba


def _depth(children: np.ndarray, is_leaf: np.ndarray, roots: np.ndarray) -> int:
    # The nodes of each level, without repeats (a hostile file may share children
    # between parents), kept as a mark per node: np.unique would sort every level and
    # import numpy.ma on first use, ~10 ms of every run's start before any flow is read.
    mark = np.zeros(len(is_leaf), dtype=bool)
    mark[roots] = True
    level = np.flatnonzero(mark)
    depth = 0
    while True:
        level = level[~is_leaf[level]]
        if not len(level):
            return depth
        mark[:] = False
        mark[children[level].ravel()] = True
        level = np.flatnonzero(mark)
        depth += 1
