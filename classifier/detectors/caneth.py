"""CAN-ETH (proconx "CAN frames over UDP", canframe.pdf; Wireshark's CAN-ETH): CAN bus
frames tunnelled in UDP datagrams.  A datagram is the 8-byte magic "ISO11898", a
version (1), a frame count (at most 16), then that many 15-byte frames (identifier 4,
data length 0-8, 8 data bytes, extended flag, RTR flag) and optional reserved bytes.

The detector relies on the magic, the version, the count and the datagram holding the
frames it announces.  nDPI names it Controller_Area_Network.  Metadata: frames (count of
the first datagram).
"""
from __future__ import annotations

from . import _units
from .base import MORE, DetectorSpec, Prefilter, claim

MAGIC = b"ISO11898"
FRAME = 15


def _datagram(d: bytes):
    if len(d) < 10:
        return MORE if MAGIC.startswith(d[:8]) and (len(d) < 9 or d[8] == 1) else None
    if d[:8] != MAGIC or d[8] != 1 or d[9] > 16 or len(d) < 10 + FRAME * d[9]:
        return None
    return {"frames": d[9]}


def probe(view, state):
    meta = _units.scan(view, SPEC.max_bytes, _datagram)
    if not isinstance(meta, dict):
        return meta                        # NO, or MORE while a unit is incomplete
    # An 8-byte ASCII magic, a version and a count the datagram's size agrees with.
    return claim("caneth", 0.95, **meta)


SPEC = DetectorSpec(name="caneth", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset(b"I"), s2c=frozenset(b"I")),
                    max_confidence=0.95)
