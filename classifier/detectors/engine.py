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
  detector listed earlier in ``registry.DETECTORS`` wins, because that list is ordered
  from most to least specific (a protocol that rides on or imitates another, such as
  rtsp/sip/ssdp imitating HTTP syntax, comes before the generic one).  Every loser is
  recorded in ``Label.conflicts``.
* Expectations (ftp-data).  The ftp detector extracts the endpoints announced INSIDE the
  control channel payload (PASV/EPSV replies, PORT/EPRT commands).  ``classify_many``
  registers them and labels a later flow ``ftp-data`` when its endpoint equals an
  announced one.  This is payload-announced, not port-based: no port number is known
  to the engine in advance, and detectors never see the flow tuple -- only
  ``Expectations.lookup`` does, outside every detector.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .base import DetectorSpec, Verdict
from .flowview import FlowView

__all__ = ["Label", "Engine", "FlowSession", "Expectations", "classify", "classify_many"]


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
    detectors (said NO_MATCH) and each detector's private scratch dict."""
    __slots__ = ("excluded", "states", "done")

    def __init__(self) -> None:
        self.excluded: set[str] = set()
        self.states: dict[str, dict] = {}
        self.done: Label | None = None


def _firsts(flow, direction: int) -> list[int]:
    """First byte of a direction's first payload; for UDP of each of its first three
    datagrams (keep-alives or a STUN exchange often precede the real protocol)."""
    if flow.transport == "udp" and (flow.datagrams_c2s or flow.datagrams_s2c):
        dg = flow.datagrams_s2c if direction else flow.datagrams_c2s
        return [d[0] for d in dg[:3] if d]
    data = flow.payload_s2c if direction else flow.payload_c2s
    return [data[0]] if data else []


def _packet_byte_cap(flow, direction: int, max_packets: int) -> int | None:
    """Bytes carried by the first ``max_packets`` data packets of a direction, or None
    when the packet list does not reach that many (no packet cap applies)."""
    total = n = 0
    for d, s in zip(flow.pkt_dirs, flow.pkt_sizes):
        if d == direction and s:
            n += 1
            total += s
            if n == max_packets:
                return total
    return None


def budget_view(flow, max_bytes: int, max_packets: int):
    """The flow as a detector with this budget may see it (the flow itself when the
    budget cuts nothing, so the common case allocates nothing)."""
    if flow.transport == "udp" and (flow.datagrams_c2s or flow.datagrams_s2c):
        out = []
        for dg in (flow.datagrams_c2s, flow.datagrams_s2c):
            kept, room = [], max_bytes
            for d in dg[:max_packets]:
                if room <= 0:
                    break
                kept.append(d[:room])
                room -= len(d)
            out.append(kept)
        if (len(out[0]) == len(flow.datagrams_c2s) and len(out[1]) == len(flow.datagrams_s2c)
                and len(flow.payload_c2s) <= max_bytes and len(flow.payload_s2c) <= max_bytes):
            return flow
        return FlowView("udp", b"".join(out[0]), b"".join(out[1]), out[0], out[1],
                        flow.pkt_dirs, flow.pkt_sizes)
    caps = []
    for direction, data in ((0, flow.payload_c2s), (1, flow.payload_s2c)):
        cap = max_bytes
        pc = _packet_byte_cap(flow, direction, max_packets) if flow.pkt_sizes else None
        if pc is not None and pc < cap:
            cap = pc
        caps.append(cap)
    if len(flow.payload_c2s) <= caps[0] and len(flow.payload_s2c) <= caps[1]:
        return flow
    return FlowView(flow.transport, flow.payload_c2s[:caps[0]], flow.payload_s2c[:caps[1]],
                    (), (), flow.pkt_dirs, flow.pkt_sizes)


class Engine:
    def __init__(self, specs: Sequence[DetectorSpec] | None = None) -> None:
        if specs is None:
            from .registry import SPECS
            specs = SPECS
        self.specs = [s for s in specs if s.probe is not None]
        names = [s.name for s in self.specs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate detector name in registry")
        # Per transport: detectors always tried, and per first byte (per direction) the
        # registry positions worth a probe.
        self._any: dict[str, list[int]] = {}
        self._by_byte: dict[str, tuple[list[list[int]], list[list[int]]]] = {}
        for t in ("tcp", "udp"):
            always, c2s, s2c = [], [[] for _ in range(256)], [[] for _ in range(256)]
            for i, s in enumerate(self.specs):
                if t not in s.transports:
                    continue
                pf = s.prefilter
                if pf.any or (pf.c2s is None and pf.s2c is None):
                    always.append(i)
                    continue
                for table, allowed in ((c2s, pf.c2s), (s2c, pf.s2c)):
                    for b in (range(256) if allowed is None else allowed):
                        table[b].append(i)
            self._any[t] = always
            self._by_byte[t] = (c2s, s2c)

    def candidates(self, flow) -> list[int]:
        """Registry positions of the detectors the prefilter lets through."""
        t = flow.transport
        if t not in self._any:
            return []
        firsts = set(_firsts(flow, 0)) | set(_firsts(flow, 1))
        if not firsts:
            return []
        c2s, s2c = self._by_byte[t]
        cand = set(self._any[t])
        # A direction's hint is checked against BOTH directions' first bytes: without a
        # SYN the "client" may really be the server (captures starting mid-stream).
        for b in firsts:
            cand.update(c2s[b])
            cand.update(s2c[b])
        return sorted(cand)

    def classify(self, flow, session: FlowSession | None = None) -> Label:
        if session is None:
            session = FlowSession()
        elif session.done is not None:
            return session.done
        label = Label(None)
        views: dict[tuple[int, int], Any] = {}
        best = None          # (confidence, -position, Result)
        losers = []
        for i in self.candidates(flow):
            spec = self.specs[i]
            if spec.name in session.excluded:
                continue
            key = (spec.max_bytes, spec.max_packets)
            view = views.get(key)
            if view is None:
                view = views[key] = budget_view(flow, *key)
            state = session.states.get(spec.name)
            if state is None:
                state = session.states[spec.name] = {}
            label.tried.append(spec.name)
            try:
                r = spec.probe(view, state)
            except Exception as exc:  # a detector bug must not kill the pipeline
                label.errors.append(f"{spec.name}: {type(exc).__name__}: {exc}")
                session.excluded.add(spec.name)
                continue
            if r.verdict == Verdict.MATCH:
                cand = (r.confidence, -i, r)
                if best is None or cand[:2] > best[:2]:
                    if best is not None:
                        losers.append(best[2])
                    best = cand
                else:
                    losers.append(r)
            elif r.verdict == Verdict.NEED_MORE:
                label.pending.append(spec.name)
            else:
                session.excluded.add(spec.name)
        if best is not None:
            r = best[2]
            label.protocol, label.confidence, label.source = r.protocol, r.confidence, "dpi"
            label.metadata = dict(r.metadata)
            label.conflicts = [{"protocol": x.protocol, "confidence": x.confidence}
                               for x in losers]
            label.pending = []
            session.done = label
        return label


class Expectations:
    """Endpoints announced inside a control channel's payload (FTP PASV/EPSV/PORT/EPRT).

    Tuples are (client_ip, client_port, server_ip, server_port).  They are only ever
    handled here, never passed to a detector.
    """

    def __init__(self) -> None:
        self._table: dict[tuple[str, int], str] = {}

    def learn(self, label: Label, tup) -> None:
        for ann in label.metadata.get("expect", ()):
            port = ann["port"]
            cli, srv = tup[0], tup[2]
            # The announced host may be a private address behind NAT; EPSV announces
            # none.  Accept the announced host and both control endpoints' addresses.
            for host in {ann.get("host"), cli, srv} - {None}:
                self._table[(str(host), int(port))] = ann.get("protocol", "ftp-data")

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


def classify(flow) -> Label:
    return default_engine().classify(flow)


def classify_many(flows: Iterable, tuples: Iterable | None = None,
                  engine: Engine | None = None) -> list[Label]:
    """Classify a batch.  When ``tuples`` (parallel to flows) is given, expectations
    announced by control flows label their data flows (ftp-data); an expectation wins
    over a payload label of the data flow (file contents may look like anything), and
    the payload label is kept in ``conflicts``."""
    eng = engine or default_engine()
    flows = list(flows)
    labels = [eng.classify(f) for f in flows]
    if tuples is None:
        return labels
    tuples = list(tuples)
    exp = Expectations()
    for lab, tup in zip(labels, tuples):
        if lab.metadata.get("expect"):
            exp.learn(lab, tup)
    for i, (lab, tup) in enumerate(zip(labels, tuples)):
        if lab.metadata.get("expect"):
            continue
        proto = exp.lookup(tup)
        if proto is None:
            continue
        new = Label(proto, 1.0, "expectation", {}, [], lab.tried, [], lab.errors)
        if lab.protocol is not None:
            new.conflicts = [{"protocol": lab.protocol, "confidence": lab.confidence}]
        labels[i] = new
    return labels
