"""The detector contract: probe outcomes, probe results, the spec each protocol module exports.

A detector is one module per protocol (see ``detector_list.py``).  Its ``probe(view, state)``
sees only payload bytes of a flow (both directions, already cut to the detector's byte
and packet budget by the engine) and a per-flow, per-detector ``state`` dict it may use
as scratch space.  It never sees ports, addresses, TTLs or MACs: the view object does
not carry them.  It answers with a ``ProbeResult`` whose ``outcome`` is, Suricata style,
one of three:

* ``MATCH``     -- this is my protocol (with a confidence and extracted metadata);
                   a probe builds it with ``claim(protocol, confidence, **metadata)``;
* ``NEED_MORE`` -- the bytes seen so far are a valid prefix, ask me again with more
                   (the shared answer ``MORE``);
* ``NO_MATCH``  -- not my protocol; the engine never calls me again for this flow
                   (the shared answer ``NO``).

"Verdict" is the product's word for something else: how the protocol a flow's payload
shows compares with the one its server port implies (``classifier/verdict.py``).  A
probe's answer is its outcome, never its verdict (CONTRIBUTING.md, "Words").

Modules keep ONE parser per protocol and use it both to decide and to extract metadata,
so a probe cannot accept bytes that its metadata extraction would reject.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from . import _fast

__all__ = [
    "Outcome", "ProbeResult", "Prefilter", "Gate", "DetectorSpec", "NO", "MORE", "claim",
    "ANY", "streams", "datagrams", "resyncing", "C2S", "S2C",
    "Verdict", "Result", "match",       # deprecated aliases, see the end of this module
]

C2S = 0  # client -> server (sender of the SYN, or of the first datagram)
S2C = 1  # server -> client


class Outcome(enum.IntEnum):
    """What a probe says about a flow (a ProbeResult's ``outcome``)."""
    NO_MATCH = 0
    NEED_MORE = 1
    MATCH = 2


# ProbeResult(outcome, protocol=None, confidence=0.0, metadata={}): a probe's answer.
# Immutable (attributes are read-only), compared field by field; compiled in _fast.pyx
# so that a probe (and claim() below) builds one cheaply.
ProbeResult = _fast.ProbeResult


# Shared singletons: the two non-MATCH answers carry no data, so no allocation per probe.
NO = ProbeResult(Outcome.NO_MATCH)
MORE = ProbeResult(Outcome.NEED_MORE)


def parse_units(units, parse, more=MORE):
    """Run one parser over every non-empty unit (a datagram, or a direction's bytes).
    Returns NO when any unit is not the protocol (each unit must be one), MORE when one
    needs more bytes (the parser says so with `more`: MORE, or its own sentinel such as
    _ber.MORE_NEEDED), else the first unit's metadata (None when there was no unit)."""
    meta = None
    for u in units:
        if not u:
            continue
        r = parse(u)
        if r is None:
            return NO
        if r is more:
            return MORE
        meta = meta or r
    return meta


# claim(protocol, confidence, /, **metadata) -> ProbeResult: the probe claims the flow
# for ``protocol`` (outcome MATCH); metadata values that are None are dropped.
# Compiled (_fast.pyx).
claim = _fast.claim


@dataclass(frozen=True, slots=True)
class Prefilter:
    """Cheap first-byte hint: which leading byte values make this detector worth a probe.

    ``c2s`` / ``s2c`` are sets of allowed first byte values of that direction's first
    payload (first datagrams for UDP); ``None`` means "no hint from this direction".
    A detector is tried when a first byte of EITHER direction is in either set
    (captures may start mid-stream or with the sides swapped, so a hint for one
    direction must not veto the other).  ``any=True``, or no hint at all, means
    "always try" (protocols whose first byte is a random id or a length).

    ``udp`` / ``tcp``, when given, replace this hint on that transport, for protocols
    framed differently on each: ONC RPC opens a TCP record with a record mark (0x80)
    but a UDP datagram with a random xid.
    """
    c2s: frozenset[int] | None = None
    s2c: frozenset[int] | None = None
    any: bool = False
    udp: "Prefilter | None" = None
    tcp: "Prefilter | None" = None

    def on(self, transport: str) -> "Prefilter":
        """The hint that applies on ``transport``."""
        alt = self.udp if transport == "udp" else self.tcp if transport == "tcp" else None
        return alt if alt is not None else self


ANY = Prefilter(any=True)


@dataclass(frozen=True, slots=True)
class Gate:
    """What a flow of UDP datagrams must show for the probe to be able to MATCH: a
    refusal the engine checks in compiled code before it calls the probe, so that a
    datagram that cannot be the protocol (a flood of random ones) costs no Python call.
    Only a necessary condition of the probe's own rules may be declared here, never a
    new rule: with or without the gate the labels are the same (tests/detectors/
    test_gates.py checks every gate against its probe, on every capture and on fuzzed
    datagrams).  The engine applies it on the pipeline's batch path (no probe trail).

    units:   the probe never matches on fewer non-empty datagrams than this (0, 1 or 2;
             counted among the first max_packets datagrams of each direction)
    min_len: each direction's first non-empty datagram, as the probe sees it (cut at
             max_bytes), is at least this long when the probe matches
    bytes:   ((offset, mask, lo, hi), ...): in each direction's first non-empty
             datagram, lo <= datagram[offset] & mask <= hi; every offset < min_len
    c2s_only: min_len and bytes apply to the client's (first sender's) first non-empty
             datagram alone, which the probe needs to match; the server's is free
    s2c_only: the same for the server's (a protocol whose server speaks first)
    lone:    min_len and bytes apply only when the probe sees a single non-empty
             datagram in all (a protocol that tolerates a stray datagram among others,
             but not a lone one that is not its own: the usual flood)
    length:  (offset, size, adjust): the big-endian field of size bytes (1, 2 or 4) at
             offset holds the datagram's length (as the probe sees it) minus adjust;
             offset + size <= min_len
    whole:   the probe skips a datagram the byte budget may have cut (_units.units,
             _dgram.whole): min_len, bytes and length bind a direction's first non-empty
             datagram only when it is shorter than max_bytes (and than the flow table's
             4,096 bytes a direction, _dgram.FLOW_PAYLOAD_CAP)
    prefix:  the probe waits for more on a datagram that is a prefix of its header: a
             byte check at or past a datagram's end passes (min_len must be 0, no
             length; offsets below 64)
    forms:   (checks, ...): the shapes a datagram may take (a protocol whose every
             datagram is one of two message formats), each a tuple of byte checks like
             ``bytes``: the datagram must pass all the checks of at least one form
             (at most 4 forms), besides ``bytes``.  Unlike alternative Gates, which
             bind the whole flow, a form is chosen for each direction's datagram

    A DetectorSpec's gate may be a tuple of Gates, alternatives (e.g. two versions of a
    header): the probe is skipped only when every one of them refuses.
    """
    units: int = 0
    min_len: int = 0
    bytes: tuple = ()
    c2s_only: bool = False
    s2c_only: bool = False
    lone: bool = False
    length: "tuple[int, int, int] | None" = None
    whole: bool = False
    prefix: bool = False
    forms: tuple = ()

    def __post_init__(self) -> None:
        if len(self.forms) > 4 or any(len(f) > 8 for f in self.forms):
            raise ValueError("Gate.forms: at most 4 forms of at most 8 checks")
        if self.prefix and (self.min_len or self.length is not None):
            raise ValueError("Gate.prefix: no min_len and no length field")
        if self.units not in (0, 1, 2):
            raise ValueError(f"Gate.units={self.units}: 0, 1 or 2")
        if (self.c2s_only or self.s2c_only) and self.lone or self.c2s_only and self.s2c_only:
            raise ValueError("Gate: c2s_only, s2c_only and lone exclude each other")
        if len(self.bytes) > 8:
            raise ValueError("Gate.bytes: at most 8 checks")
        if self.length is not None:
            off, size, _adjust = self.length
            if size not in (1, 2, 4) or not 0 <= off or off + size > self.min_len:
                raise ValueError(f"Gate.length={self.length}: a 1, 2 or 4-byte field within min_len")
        for off, mask, lo, hi in self.bytes + tuple(c for f in self.forms for c in f):
            if not 0 <= off < (64 if self.prefix else self.min_len):
                raise ValueError(f"Gate.bytes: offset {off} is not below min_len {self.min_len}")
            if not (0 <= mask <= 255 and 0 <= lo <= hi <= 255):
                raise ValueError(f"Gate.bytes: ({off}, {mask}, {lo}, {hi}) is not a byte range")


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """What each protocol module exports as ``SPEC``.

    name:        canonical lowercase protocol name (docs/protocols.md)
    transports:  subset of ("tcp", "udp")
    probe:       probe(view, state) -> ProbeResult; None for protocols only reachable
                 through an engine expectation (ftp-data)
    max_bytes:   bytes per direction the engine lets this detector see
    max_packets: packets (TCP) or datagrams (UDP) per direction it may see
    prefilter:   first-byte hint deciding whether the probe is worth calling
    max_confidence: the highest confidence this probe ever returns (weak, statistical
                 detectors declare less than 1.0); the engine stops probing a flow
                 once its best match cannot be beaten by any remaining candidate
    resync:      the probe finds its protocol in bytes that start mid-stream (a TCP
                 direction joined late or resynced after lost first segments:
                 FlowView.midstream), so the engine offers it such flows whatever their
                 first bytes; it must then claim only what it can re-anchor on, below
                 the confidence of a match from the start.  A probe made by
                 ``resyncing`` re-anchors only where a direction's bytes begin, so
                 its prefilter still applies (``resync_at_start`` on the probe)
    gate:        a Gate, or a tuple of alternative Gates (UDP datagrams): what the
                 probe needs to be able to match, checked before the call
    tcp_gate:    the same for a TCP flow, read on each direction's bytes from the start
                 of the stream as one unit (no units, lone or whole); on the batch path
                 a flow has ended, so a probe that would still ask for more (MORE) does
                 not match either, and min_len may be what a match needs
    """
    name: str
    transports: tuple[str, ...]
    probe: Callable[[Any, dict], ProbeResult] | None
    max_bytes: int = 2048
    max_packets: int = 8
    prefilter: Prefilter = ANY
    max_confidence: float = 1.0
    resync: bool = False
    gate: "Gate | tuple[Gate, ...] | None" = None
    tcp_gate: "Gate | tuple[Gate, ...] | None" = None

    def __post_init__(self) -> None:
        g = self.tcp_gate
        for alt in (g if isinstance(g, tuple) else (g,) if g is not None else ()):
            if alt.units or alt.lone or alt.whole:
                raise ValueError(f"{self.name}: a tcp_gate has no units, lone or whole")


# --- helpers shared by detectors -------------------------------------------------------

def streams(view) -> Iterator[tuple[int, bytes]]:
    """(direction, bytes) for each non-empty direction, client first."""
    if view.payload_c2s:
        yield C2S, view.payload_c2s
    if view.payload_s2c:
        yield S2C, view.payload_s2c


def datagrams(view) -> Iterator[tuple[int, bytes]]:
    """(direction, datagram) for every datagram, client's first.  Falls back to the
    concatenated payload as one datagram when the list is empty (e.g. a TCP view)."""
    if view.datagrams_c2s or view.datagrams_s2c:
        for d in view.datagrams_c2s:
            if d:
                yield C2S, d
        for d in view.datagrams_s2c:
            if d:
                yield S2C, d
    else:
        yield from streams(view)


def resyncing(probe, cap: float = 0.7):
    """A TCP probe that walks self-delimiting messages (a magic or a length-checked
    header in front of every message), made able to re-anchor (DetectorSpec.resync).
    A direction that starts mid-stream (FlowView.midstream: joined without a SYN, or
    resynced after its first segments were lost for good) starts at a segment boundary,
    which is a message boundary or not: when the probe does not match the flow as it is
    and both directions have bytes, each direction is probed alone in place of the flow
    once the other is mid-stream (so may start inside a message).  A match there is the
    protocol joined mid-stream, at most `cap` (below any match from the start) and
    marked ``midstream``.  A direction seen from its beginning is never dropped (its
    first bytes decide it).  A match on the flow as it is stays what it was, unless every
    direction with bytes was resynced (the engine offers such a flow to resync detectors
    only, whatever their first bytes, but this one only when a first byte is one its
    prefilter names: it re-anchors where a direction's bytes begin): that is a match
    mid-stream too."""
    from ._fast import FlowView

    def midstream(r):
        meta = dict(r.metadata)
        meta["midstream"] = True
        return claim(r.protocol, min(cap, r.confidence), **meta)

    def resync_probe(view, state):
        r = probe(view, state)
        ms = getattr(view, "midstream", 0)
        if not ms:
            return r
        c, s = view.payload_c2s, view.payload_s2c
        if r.outcome == Outcome.MATCH:
            # engine.resynced_only: bits 2-3 say bytes before these are known lost
            if (ms & 12) and (not c or ms & 4) and (not s or ms & 8):
                return midstream(r)
            return r
        if not c or not s:
            return r
        for keep_c2s, other_bit in ((True, 2), (False, 1)):
            if not ms & other_bit:
                continue                 # the direction to leave out was seen from its start
            one = FlowView("tcp", c if keep_c2s else b"", b"" if keep_c2s else s, (), (),
                           view.pkt_dirs, view.pkt_sizes, ms)
            r1 = probe(one, {})
            if r1.outcome == Outcome.MATCH:
                return midstream(r1)
        return r

    resync_probe.__name__ = getattr(probe, "__name__", "probe")
    resync_probe.__doc__ = probe.__doc__
    resync_probe.__wrapped__ = probe
    # It re-anchors only where a direction's bytes begin (the flow as it is, or one
    # direction alone), so its prefilter still holds on a mid-stream flow: the engine
    # offers it such a flow only when a first byte is one its prefilter names.
    resync_probe.resync_at_start = True
    return resync_probe


def ascii_line(data: bytes, limit: int = 512) -> bytes | None:
    """The first CRLF/LF-terminated line without its terminator, or None when no line
    end is within ``limit`` bytes (the caller decides NEED_MORE vs NO_MATCH)."""
    i = data.find(b"\n", 0, limit)
    if i < 0:
        return None
    return data[:i].rstrip(b"\r")


def dec(b: bytes, limit: int = 256) -> str:
    """Bytes to a metadata string: latin-1 never fails, cut so output stays small."""
    return b[:limit].decode("latin-1")


# --- deprecated aliases: the names before Outcome / ProbeResult / claim ---------------
# Third-party detectors and code embedding portlens may still use them; they go in the
# next release.  (ProbeResult keeps a read-only ``.verdict`` property for as long.)
Verdict = Outcome
Result = ProbeResult
match = claim
