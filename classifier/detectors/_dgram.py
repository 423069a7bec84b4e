"""Whole datagrams of a UDP view, for detectors that check a length field against the
datagram's size.  The engine keeps a detector's first datagrams while its byte budget
lasts and cuts the last one it keeps (and the flow table keeps at most a few KiB per
direction), so a direction's last datagram may be a prefix: it is left out when the
direction's bytes reach the budget."""
from __future__ import annotations

from . import _fast

FLOW_PAYLOAD_CAP = 4096        # classifier/flows.py keeps this much payload per direction


def whole_py(view, budget: int) -> list[bytes]:
    """Every datagram of both directions (client's first) known to be complete."""
    cap = min(budget, FLOW_PAYLOAD_CAP)
    out = []
    for dgs in (view.datagrams_c2s, view.datagrams_s2c):
        dgs = [d for d in dgs if d]
        if dgs and sum(len(d) for d in dgs) >= cap:
            dgs = dgs[:-1]
        out.extend(dgs)
    return out


def too_short_py(units: list[bytes], minimum: int, head: bytes | None = None, first=None):
    """MORE-worthy: some datagram is shorter than the protocol's fixed header and what
    it holds is a valid start (a prefix of ``head``, or a first byte in ``first``).
    Returns True (wait), False (not this protocol) or None (no short datagram)."""
    for d in units:
        if len(d) < minimum:
            if head is not None:
                return head.startswith(d[:len(head)])
            return first is None or d[0] in first
    return None


def seen(view) -> bool:
    """Whether any datagram arrived at all."""
    return any(view.datagrams_c2s) or any(view.datagrams_s2c)


# The probes call the compiled twins (_wire_dgram.pxi), the same answers; the
# definitions above are their reference (tests/detectors/test_gates.py).
whole = _fast.dgram_whole
too_short = _fast.dgram_too_short
