# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The forest's inference loop in C: each flow walks each tree to its leaf and the
leaves' class probabilities are averaged, as scikit-learn's predict_proba does.

The arrays come from `Forest.from_arrays`, which checked every index (children, leaf
rows, roots) and that children come after their parents, and `predict_proba` checked
the feature indices against the row width: the loop below cannot read outside them and
always ends. Sums run in float32 in tree order, then one multiply by 1/trees, so the
result is bit-identical to adding the trees' leaf rows one tree at a time with numpy.
"""
import numpy as np

from libc.stdint cimport int32_t

cdef enum:
    BLOCK = 128             # rows walked through one tree before the next tree


def forest_proba(const float[:, ::1] X, const int32_t[::1] feature, const float[::1] threshold,
                 const int32_t[:, ::1] children, const int32_t[::1] leaf,
                 const float[:, ::1] value, const int32_t[::1] roots):
    """Class probabilities, float32 (len(X), value.shape[1])."""
    cdef Py_ssize_t n = X.shape[0], ntrees = roots.shape[0], nc = value.shape[1]
    cdef Py_ssize_t i, t, k
    cdef int32_t node
    cdef const float* row
    out = np.zeros((n, nc), dtype=np.float32)
    cdef float[:, ::1] o = out
    cdef float scale = <float>(1.0 / ntrees)
    cdef Py_ssize_t b0, b1
    with nogil:
        # Blocks of rows, tree by tree inside a block: the block's feature rows and one
        # tree's nodes stay in cache together; each flow's sum still runs in tree order.
        b0 = 0
        while b0 < n:
            b1 = b0 + BLOCK if b0 + BLOCK < n else n
            for t in range(ntrees):
                for i in range(b0, b1):
                    node = roots[t]
                    while leaf[node] < 0:
                        node = children[node, 1 if X[i, feature[node]] > threshold[node] else 0]
                    row = &value[leaf[node], 0]
                    for k in range(nc):
                        o[i, k] += row[k]
            b0 = b1
        for i in range(n):
            for k in range(nc):
                o[i, k] *= scale
    return out
