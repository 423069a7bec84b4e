"""RTMP handshake (Adobe RTMP spec 5.2): C0 is one byte, the version 0x03 (0x06 for
RTMPE); C1 is 1536 bytes -- time (4), zero or Flash-version (4), random (1528).  The
server answers S0 (same version) + S1 + S2.  Only sizes and the version byte are fixed,
so the detector wants C0+C1 complete and, when present, S0 agreeing.
Metadata: version.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

HS = 1 + 1536


def probe(view, state):
    c, s = view.payload_c2s, view.payload_s2c
    if not c:
        return NO
    if c[0] not in (3, 6):
        return NO
    if len(c) >= 4 and c[0] == 3 and c[1] == 0 and int.from_bytes(c[2:4], "big") == len(c) < HS:
        return NO                          # a complete TPKT frame (RDP, S7comm, MMS)
    if len(c) < HS:
        return MORE
    if s:
        if s[0] != c[0]:
            return NO                      # S0 repeats the chosen version
        if len(s) < HS:
            return MORE
        return claim("rtmp", 0.9, version=c[0])
    # Client alone: only a first segment of exactly C0+C1 (1537 bytes) is telling; a
    # long stream that merely starts with 0x03 is far more often something else.
    first = next((sz for d, sz in zip(view.pkt_dirs, view.pkt_sizes) if d == 0 and sz), None)
    if first == HS:
        return claim("rtmp", 0.7, version=c[0])
    return MORE if first is None else NO


SPEC = DetectorSpec(name="rtmp", transports=("tcp",), probe=probe, max_bytes=HS + 16,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((3, 6))), max_confidence=0.9)
