# _dgram.whole and _dgram.too_short, compiled: a dozen UDP probes (lisp, gtp, teredo,
# raknet, ...) call them first on every flow their prefilter lets through, so on a
# flood of random datagrams their Python list building was a tenth of the run.
# The same answers as the pure-Python definitions kept in _dgram.py's docstrings
# (tests/detectors/test_gates.py compares them with whole_py and too_short_py).


def dgram_whole(view, Py_ssize_t budget):
    """_dgram.whole: every datagram of both directions (client's first) known to be
    complete: a direction's last datagram is left out when the direction's bytes
    reach min(budget, 4096)."""
    cdef Py_ssize_t cap = budget if budget < 4096 else 4096, total, k
    cdef list out = [], kept
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        kept = []
        total = 0
        for d in dgs:
            if d:
                kept.append(d)
                total += len(d)
        k = len(kept)
        if k and total >= cap:
            k -= 1
        for j in range(k):
            out.append(kept[j])
    return out


def dgram_too_short(units, Py_ssize_t minimum, head=None, first=None):
    """_dgram.too_short: True (wait), False (not this protocol) or None (no datagram
    shorter than ``minimum``)."""
    for d in units:
        if len(d) < minimum:
            if head is not None:
                return head.startswith(d[:len(head)])
            return first is None or d[0] in first
    return None
