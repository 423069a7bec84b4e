"""Extra training views of training flows: the same bytes as a capture would show them
under other conditions. Nothing is invented: every view is cut from one real flow and
keeps its label, and it stays with its flow's capture for the split (a view never
crosses from training into evaluation).

Views (`VIEWS`), each only when it differs from the flow itself:

* `first-k`   the first k payload packets only (k = 1, 2, 3, 5): a short flow, a flow
              labelled early, or a one-packet UDP exchange;
* `client` / `server`  one direction only: asymmetric routing, a one-sided capture;
* `mid-k`     the first k payload packets dropped (k = 1, 2, 4): a capture that started
              after the flow did (the fast path marks those `midstream`);
* `mss`       TCP segments larger than 1448 bytes split at 1448, as on an Ethernet path:
              the corpus was captured on loopback, where one segment can carry 64 KiB.

A view is built on the flow's record: the packet list (`pk_size`, `pk_dir`, `pk_iat`,
`npk`) and each direction's payload (`pay_off`, `pay_len_*`), which is the kept prefix of
that direction's stream cut at the packet boundaries of the view. Only what a direction
has kept can be cut (the first 4096 bytes), so a view can hold less payload than a real
capture would, never more.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from .data import FlowSet

FIRST_K = (1, 2, 3, 5)
MID_K = (1, 2, 4)
MSS = 1448
VIEWS = tuple(f"first-{k}" for k in FIRST_K) + ("client", "server") + tuple(f"mid-{k}" for k in MID_K) + ("mss",)


def _packets(rec) -> List[Tuple[int, int, int]]:
    """(size, direction, microseconds since the flow's first packet) of each kept packet."""
    n = int(rec["npk"])
    t = np.cumsum(rec["pk_iat"][:n].astype(np.int64))
    return [(int(s), int(d), int(tt)) for s, d, tt in zip(rec["pk_size"][:n], rec["pk_dir"][:n], t)]


def _offsets(pk):
    """For each packet, where its payload starts in its direction's stream."""
    pos = [0, 0]
    out = []
    for s, d, _ in pk:
        out.append(pos[d])
        pos[d] += s
    return out


def views(fs: FlowSet, i: int) -> List[Tuple[str, list, int, int, int, int]]:
    """The views of flow i: (name, packets, c2s start, c2s end, s2c start, s2c end), the
    byte ranges relative to each direction's kept payload."""
    rec = fs.records[i]
    pk = _packets(rec)
    lens = (int(rec["pay_len_c2s"]), int(rec["pay_len_s2c"]))
    offs = _offsets(pk)
    pay_idx = [j for j, p in enumerate(pk) if p[0] > 0]
    out = []

    def cut(name, keep):
        """A view keeping packets `keep` (indices into pk); each direction's payload runs
        from its first kept payload packet to the end of its last one."""
        kept = [pk[j] for j in keep]
        rng = []
        for d in (0, 1):
            js = [j for j in keep if pk[j][1] == d and pk[j][0] > 0]
            if not js:
                rng += [0, 0]
                continue
            a = min(offs[js[0]], lens[d])
            b = min(offs[js[-1]] + pk[js[-1]][0], lens[d])
            rng += [a, b]
        if rng[1] - rng[0] + rng[3] - rng[2] <= 0:
            return
        out.append((name, kept, *rng))

    for k in FIRST_K:
        if len(pay_idx) > k:
            cut(f"first-{k}", list(range(pay_idx[k - 1] + 1)))
    dirs = {pk[j][1] for j in pay_idx}
    if dirs == {0, 1}:
        cut("client", [j for j in range(len(pk)) if pk[j][1] == 0])
        cut("server", [j for j in range(len(pk)) if pk[j][1] == 1])
    for k in MID_K:
        if len(pay_idx) > k + 1:
            cut(f"mid-{k}", list(range(pay_idx[k], len(pk))))
    if rec["proto"] == 6 and any(s > MSS for s, _, _ in pk):
        seg = []
        for s, d, t in pk:
            while s > MSS:
                seg.append((MSS, d, t))
                s -= MSS
            seg.append((s, d, t))
        out.append(("mss", seg[:len(rec["pk_size"])], 0, lens[0], 0, lens[1]))
    return out


def augment(fs: FlowSet, weight: float = 1.0, sources: bool = False):
    """Every view of every flow of `fs`, as a FlowSet with its own arena; per view a sample
    weight (`weight` shared among one flow's views) and the view's name; with `sources`,
    also the index in `fs` of each view's flow."""
    arena = np.frombuffer(fs.payload, np.uint8)
    recs, chunks, weights, names, src = [], [], [], [], []
    base = 0
    width = fs.records["pk_size"].shape[1]
    for i in range(len(fs)):
        vs = views(fs, i)
        for name, pk, a0, a1, b0, b1 in vs:
            r = fs.records[i].copy()
            off = int(r["pay_off"])
            lc = int(r["pay_len_c2s"])
            c2s = arena[off + a0:off + a1]
            s2c = arena[off + lc + b0:off + lc + b1]
            r["pay_off"] = base
            r["pay_len_c2s"] = len(c2s)
            r["pay_len_s2c"] = len(s2c)
            chunks += [c2s.tobytes(), s2c.tobytes()]
            base += len(c2s) + len(s2c)
            pk = pk[:width]
            r["npk"] = len(pk)
            r["pk_size"][:] = 0
            r["pk_dir"][:] = 0
            r["pk_iat"][:] = 0
            if pk:
                t = np.array([p[2] for p in pk], np.int64)
                r["pk_size"][:len(pk)] = [p[0] for p in pk]
                r["pk_dir"][:len(pk)] = [p[1] for p in pk]
                r["pk_iat"][:len(pk)] = np.diff(t, prepend=t[0]).clip(0, 2**32 - 1)
            recs.append(r)
            weights.append(weight / len(vs))
            names.append(name)
            src.append(i)
    if not recs:
        from .data import empty
        return (empty(), np.zeros(0), [], np.zeros(0, np.int64)) if sources else (empty(), np.zeros(0), [])
    out = FlowSet(np.array(recs, dtype=fs.records.dtype), b"".join(chunks),
                  [fs.labels[i] for i in src], [fs.captures[i] for i in src],
                  [fs.variants[i] for i in src] if fs.variants else [],
                  [fs.origin[i] for i in src] if fs.origin else [],
                  [fs.detected[i] for i in src] if fs.detected else [])
    if sources:
        return out, np.asarray(weights), names, np.asarray(src, np.int64)
    return out, np.asarray(weights), names
