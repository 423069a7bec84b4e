"""The detection engine: prefilter, budgets, exclusion, conflict rule, expectations.

Rules (also in docs/protocols.md):

* Prefilter.  Each spec declares the first byte values its protocol can start with, per
  direction, or ``any``.  For a flow, the engine looks up the first byte of each
  direction's first payload (first datagram for UDP) in a 256-entry table built once
  from the registry and probes only the union of those candidates plus the ``any``
  detectors; a typical flow costs a handful of probes, not sixty.
* Budgets.  The engine, not the detector, cuts what a detector sees to its spec's
  ``max_bytes`` per direction and ``max_packets`` packets/datagrams per direction.
* Exclusion.  A detector that answered NO_MATCH on a flow is never asked again for that
  flow (nDPI's exclusion bit); this matters for incremental use through ``FlowSession``.
* Conflicts.  When several detectors match, the highest confidence wins; on a tie the
  detector listed earlier in ``detector_list.DETECTORS`` (the protocol table's order) wins, because that list is ordered
  from most to least specific (a protocol that rides on or imitates another, such as
  rtsp/sip/ssdp imitating HTTP syntax, comes before the generic one).  Every loser is
  recorded in ``Label.conflicts``.  Candidates are probed in registry order and the
  engine stops as soon as the best match reaches the highest confidence any remaining
  candidate could return (its spec's ``max_confidence``): no later detector could win
  (at best it ties and loses the tie-break), so ``conflicts`` lists the matches among
  the detectors actually probed.
* Expectations (ftp-data).  The ftp detector extracts the endpoints announced INSIDE the
  control channel payload (PASV/EPSV replies, PORT/EPRT commands).  ``classify_batch``
  (within a batch) and the pipeline's ``FtpLinker`` (across batches) register them in
  ``Expectations`` and label a later flow ``ftp-data`` when its endpoint equals an
  announced one.  This is payload-announced, not port-based: no port number is known
  to the engine in advance, and detectors never see the flow tuple -- only
  ``Expectations.lookup`` does, outside every detector.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Sequence

from .base import DetectorSpec, Outcome
from . import _fast
from .flowview import FlowView
from ._fast import ProbeLoop

# The compiled loop compares outcomes as C constants.
assert (int(Outcome.NO_MATCH), int(Outcome.NEED_MORE), int(Outcome.MATCH)) == \
    (_fast.V_NO_MATCH_, _fast.V_MORE_, _fast.V_MATCH_)

__all__ = ["Label", "Engine", "FlowSession", "Expectations", "classify_batch", "default_engine"]


@dataclass(slots=True)
class Label:
    protocol: str | None                 # canonical name, None when nothing matched
    confidence: float = 0.0
    source: str = "none"                 # "dpi", "expectation" or "none"
    metadata: dict = field(default_factory=dict)
    conflicts: list = field(default_factory=list)   # [{"protocol", "confidence"}] of losers
    tried: list = field(default_factory=list)       # detector names probed, in order
    pending: list = field(default_factory=list)     # detectors still saying NEED_MORE
    errors: list = field(default_factory=list)      # detectors that raised (bug, never fatal)

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "confidence": round(self.confidence, 3),
                "source": self.source, "metadata": self.metadata,
                "conflicts": self.conflicts, "tried": self.tried,
                "pending": self.pending, "errors": self.errors}


class FlowSession:
    """Per-flow engine state for incremental classification: the set of excluded
    detectors (said NO_MATCH) and the flow's scratch dict, handed to every probe as
    ``state``; a detector keys its entries by its own name, or by a shared parser's
    name when several detectors reuse one parse (the DNS family)."""
    __slots__ = ("excluded", "states", "done")

    def __init__(self) -> None:
        self.excluded: set[str] = set()
        self.states: dict = {}
        self.done: Label | None = None


def _firsts(flow, direction: int) -> list[int]:
    """First byte of a direction's first payload; for UDP of each of its first three
    datagrams (keep-alives or a STUN exchange often precede the real protocol)."""
    if flow.transport == "udp" and (flow.datagrams_c2s or flow.datagrams_s2c):
        dg = flow.datagrams_s2c if direction else flow.datagrams_c2s
        return [d[0] for d in dg[:3] if d]
    data = flow.payload_s2c if direction else flow.payload_c2s
    return [data[0]] if data else []


def _shape(flow) -> tuple[int, int, int, int]:
    """(bytes c2s, bytes s2c, data packets c2s, data packets s2c), in one pass."""
    if flow.transport == "udp" and (flow.datagrams_c2s or flow.datagrams_s2c):
        return (len(flow.payload_c2s), len(flow.payload_s2c),
                len(flow.datagrams_c2s), len(flow.datagrams_s2c))
    n1 = n0 = 0
    for d, sz in zip(flow.pkt_dirs, flow.pkt_sizes):
        if sz:
            if d:
                n1 += 1
            else:
                n0 += 1
    return len(flow.payload_c2s), len(flow.payload_s2c), n0, n1


def resynced_only(ms: int, c2s, s2c) -> bool:
    """Every direction with bytes was resynced (FlowView.midstream bits 2-3): its bytes
    follow lost ones at a segment boundary.  Only detectors that can re-anchor
    (spec.resync) see such a flow: one that reads the first bytes as the stream's start
    would take a reply in the middle ("220 Ready to start TLS", "+OK") for a greeting."""
    return bool(ms & 12) and (not c2s or bool(ms & 4)) and (not s2c or bool(ms & 8))


def snapshot(flow) -> FlowView | None:
    """Copy the contract's attributes of a foreign flow object (the fast path's Flow)
    into a FlowView, once: every later read is a plain slot, and detectors only ever
    receive a FlowView, which has no port or address to read.  None: nothing to detect."""
    t = flow.transport
    if t != "tcp" and t != "udp":
        return None
    c, s = flow.payload_c2s, flow.payload_s2c
    if not c and not s:
        return None
    if t == "udp":
        return FlowView(t, c, s, flow.datagrams_c2s, flow.datagrams_s2c, flow.pkt_dirs, flow.pkt_sizes)
    # Directions that start mid-stream (no SYN, or resynced after lost first bytes), from
    # the fast path's Flow; a foreign flow object without stream flags has none.
    ms = 0
    if hasattr(type(flow), "stream_flags_c2s"):
        fc, fs = flow.stream_flags_c2s, flow.stream_flags_s2c
        ms = (("midstream" in fc) | (("midstream" in fs) << 1)
              | (("resynced" in fc) << 2) | (("resynced" in fs) << 3))
    return FlowView(t, c, s, (), (), flow.pkt_dirs, flow.pkt_sizes, ms)


def _hinted_resync(spec: DetectorSpec, t: str) -> bool:
    """A resync detector whose prefilter still applies to a mid-stream flow: its probe
    re-anchors only where a direction's bytes begin (base.resyncing) and both
    directions have a first-byte hint on this transport."""
    pf = spec.prefilter.on(t)
    return (getattr(spec.probe, "resync_at_start", False) and not pf.any
            and pf.c2s is not None and pf.s2c is not None)


class Engine:
    def __init__(self, specs: Sequence[DetectorSpec] | None = None, gates: bool = True) -> None:
        """``specs``: the detectors (default: the registry's); ``gates`` false: the
        detectors' gates (base.Gate) are not checked -- the same labels, more probe
        calls (tests compare the two)."""
        if specs is None:
            from .detector_list import SPECS
            specs = SPECS
        self.specs = [s for s in specs if s.probe is not None]
        names = [s.name for s in self.specs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate detector name in registry")
        # Per transport: detectors always tried, and per first byte (per direction) the
        # registry positions worth a probe.
        self._any: dict[str, list[int]] = {}
        # Per transport: detectors that can re-anchor in mid-stream bytes (spec.resync).
        self._resync: dict[str, list[int]] = {}
        self._resync_hinted: dict[str, set[int]] = {}
        self._by_byte: dict[str, tuple[list[list[int]], list[list[int]]]] = {}
        for t in ("tcp", "udp"):
            always, c2s, s2c = [], [[] for _ in range(256)], [[] for _ in range(256)]
            for i, s in enumerate(self.specs):
                if t not in s.transports:
                    continue
                pf = s.prefilter.on(t)
                if pf.any or (pf.c2s is None and pf.s2c is None):
                    always.append(i)
                    continue
                # A direction without a hint (None) adds nothing: the other one decides.
                for table, allowed in ((c2s, pf.c2s), (s2c, pf.s2c)):
                    for b in allowed or ():
                        table[b].append(i)
            self._any[t] = always
            self._by_byte[t] = (c2s, s2c)
            # Those that re-anchor anywhere in the bytes are offered every mid-stream
            # flow; those that re-anchor only where a direction's bytes begin
            # (base.resyncing) keep their prefilter, unless a direction has no hint.
            self._resync[t] = [i for i, s in enumerate(self.specs) if s.resync and t in s.transports
                               and not _hinted_resync(s, t)]
            self._resync_hinted[t] = {i for i, s in enumerate(self.specs) if s.resync and t in s.transports
                                      and _hinted_resync(s, t)}
        # Per registry position: what the hot loop needs, without attribute lookups.
        self._plan = [(s.name, s.probe, (s.max_bytes, s.max_packets)) for s in self.specs]
        self._maxconf = {s.name: s.max_confidence for s in self.specs}
        self._memo: dict = {}
        self._core = ProbeLoop(self, self._plan, self._maxconf, Label,
                               [s.gate for s in self.specs] if gates else None,
                               [s.tcp_gate for s in self.specs] if gates else None)

    def candidates(self, flow) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """Registry positions of the detectors the prefilter lets through, and for each
        position the highest confidence the candidates from there on could return."""
        t = flow.transport
        if t not in self._any:
            return (), ()
        ms = getattr(flow, "midstream", 0) if t == "tcp" else 0
        return self.candidates_for(t, _firsts(flow, 0) + _firsts(flow, 1), bool(ms),
                                   resynced_only(ms, flow.payload_c2s, flow.payload_s2c))

    def candidates_for(self, t: str, firsts, midstream: bool = False,
                       resync_only: bool = False) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """candidates() from the transport and the flow's first bytes (both directions);
        `midstream`: a TCP direction starts mid-stream, so the detectors that can
        re-anchor there (spec.resync) are offered the flow whatever its first bytes
        (those of base.resyncing, which re-anchor only where a direction's bytes begin,
        when a first byte is one their prefilter names);
        `resync_only`: every direction with bytes was resynced (resynced_only), so
        only those detectors are."""
        if not firsts:
            return (), ()
        key = (t, frozenset(firsts), midstream, resync_only)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        c2s, s2c = self._by_byte[t]
        cand = set(self._any[t])
        if midstream:
            cand.update(self._resync[t])
        if resync_only:
            cand = set(self._resync[t])
        # A direction's hint is checked against BOTH directions' first bytes: without a
        # SYN the "client" may really be the server (captures starting mid-stream).
        hinted = self._resync_hinted[t]
        for b in key[1]:
            if resync_only:
                # only the resync detectors, those with a prefilter by their first bytes
                cand.update(i for i in c2s[b] if i in hinted)
                cand.update(i for i in s2c[b] if i in hinted)
            else:
                cand.update(c2s[b])
                cand.update(s2c[b])
        out = tuple(sorted(cand))
        # ceiling[j]: the best confidence any of out[j:] could still return.
        ceiling, best = [0.0] * (len(out) + 1), 0.0
        for j in range(len(out) - 1, -1, -1):
            best = max(best, self.specs[out[j]].max_confidence)
            ceiling[j] = best
        out = (out, tuple(ceiling))
        if len(self._memo) < 65536:
            self._memo[key] = out
        return out

    def classify(self, flow, session: FlowSession | None = None) -> Label:
        if session is not None and session.done is not None:
            return session.done
        if type(flow) is not FlowView:
            flow = snapshot(flow)
            if flow is None:
                return Label(None)
        cands, ceiling = self.candidates(flow)
        if not cands:
            return Label(None)
        # The probe loop (budgets, exclusion, conflicts, early stop) is compiled: _fast.pyx.
        return self._core.run(flow, _shape(flow), cands, ceiling, session)

    def take_errors(self) -> dict:
        """Probes that raised since the last call: {detector name: (count, first
        message)}. A raising probe is a bug of ours: the flow is still probed by the
        other detectors, the count goes to the run's summary, and with the environment
        variable PORTLENS_STRICT_PROBES set (the test suite sets it) the exception
        propagates instead."""
        errors = self._core.errors
        out = {name: (n, msg) for name, (n, msg) in errors.items()}
        errors.clear()
        return out

    def classify_records(self, records, payload, full: bool = True, announcing=None) -> list:
        """One label per record of a fast-path batch (``classifier.flows.FlowBatch``'s
        ``records`` and ``payload``), as ``classify`` gives for each ``Flow`` of it; with
        ``full`` false, None stands for every flow without a match.  ``announcing``, a
        list, receives the positions of the labels that announce endpoints."""
        return self._core.classify_batch(records, payload, full, announcing)


class Expectations:
    """Endpoints announced inside a control channel's payload (FTP PASV/EPSV/PORT/EPRT).

    Tuples are (client_ip, client_port, server_ip, server_port).  They are only ever
    handled here, never passed to a detector.
    """

    def __init__(self, remember: int | None = None) -> None:
        self._table: dict[tuple[str, int], str] = {}
        self.remember = remember            # at most this many endpoints, oldest dropped

    def learn(self, label: Label, tup) -> None:
        self.learn_announcements(label.metadata.get("expect", ()), tup[0], tup[2])

    def learn_announcements(self, anns, cli, srv) -> None:
        """`anns`: a control flow's `metadata.expect`; `cli`, `srv`: its endpoints."""
        for ann in anns:
            port = int(ann["port"])
            # The announced host may be a private address behind NAT; EPSV announces
            # none.  Accept the announced host and both control endpoints' addresses.
            for host in {ann.get("host"), cli, srv} - {None}:
                key = (str(host), port)
                self._table.pop(key, None)          # re-announced: newest again
                self._table[key] = ann.get("protocol", "ftp-data")
        if self.remember is not None:
            while len(self._table) > self.remember:
                del self._table[next(iter(self._table))]

    def ports(self) -> set:
        return {port for _, port in self._table}

    def __len__(self) -> int:
        return len(self._table)

    def lookup(self, tup) -> str | None:
        if not self._table:
            return None
        # The data connection's server side is the announced endpoint; its client side
        # is checked too for captures where the SYN was missed.
        return (self._table.get((str(tup[2]), int(tup[3])))
                or self._table.get((str(tup[0]), int(tup[1]))))


_default: Engine | None = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def _record_tuple(records, i: int):
    """(client, client_port, server, server_port) of record i of a fast-path batch, for
    expectations only (never handed to a detector)."""
    from ..flows import address_text
    r = records[i]
    v = int(r["ipver"])
    return (address_text(r["client_addr"].tobytes(), v), int(r["client_port"]),
            address_text(r["server_addr"].tobytes(), v), int(r["server_port"]))


def _link_records(labels: list, records, ann: list) -> list:
    """The expectations of a fast-path batch, ``ann`` the positions of the
    labels announcing endpoints: only those flows and the flows with an announced port
    on either side can be linked, so only their endpoints are read (the others'
    lookups would all miss)."""
    ann = [i for i in ann if labels[i].metadata.get("expect")]
    if not ann:
        return labels
    import numpy as np
    exp = Expectations()
    for i in ann:
        exp.learn(labels[i], _record_tuple(records, i))
    ports = np.array(sorted({port for _host, port in exp._table}), dtype=np.int64)
    near = np.isin(records["server_port"], ports) | np.isin(records["client_port"], ports)
    announced = set(ann)
    for i in np.flatnonzero(near).tolist():
        if i in announced:
            continue
        proto = exp.lookup(_record_tuple(records, i))
        if proto is not None:
            lab = labels[i]
            labels[i] = _as_expected(lab if lab is not None else Label(None), proto)
    return labels


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside: a batch allocates a few container objects
    per flow (views, lists, labels), none of them in a cycle, and the collector's
    repeated passes over the survivors cost about a tenth of the labelling time.
    Collections resume, as many as due, when the block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def classify_batch(batch, engine: Engine | None = None) -> list:
    """The labels of a fast-path FlowBatch, for the pipeline: one entry per flow,
    a Label for the flows that got a protocol (payload or expectation) and None for
    every other flow, without building a Label for it.  These labels carry no probe
    trail (``tried`` and ``pending`` are empty) and their metadata is the winning
    detector's own dict: copy it before changing it."""
    eng = engine or default_engine()
    ann: list = []
    with gc_paused():
        labels = eng.classify_records(batch.records, batch.payload, False, ann)
        return _link_records(labels, batch.records, ann)


def _as_expected(lab: Label, proto: str) -> Label:
    new = Label(proto, 1.0, "expectation", {}, [], lab.tried, [], lab.errors)
    if lab.protocol is not None:
        new.conflicts = [{"protocol": lab.protocol, "confidence": lab.confidence}]
    return new
