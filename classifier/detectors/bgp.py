"""BGP-4 (RFC 4271): every message begins with a 16-byte all-ones marker, a length
19-4096 and a type 1-5 (OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH); OPEN
carries version 4.  Metadata: message, asn and hold time from OPEN.
"""
from __future__ import annotations

from .base import MORE, NO, DetectorSpec, Prefilter, claim

MARKER = b"\xff" * 16
TYPES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}


def probe(view, state):
    more = False
    for data in (view.payload_c2s, view.payload_s2c):
        if not data:
            continue
        if len(data) < 19:
            if MARKER.startswith(data[:16]):
                more = True
                continue
            return NO                     # every message starts with 16 bytes of 0xff
        if data[:16] != MARKER:
            return NO                     # the marker is all ones (RFC 4271 4.1)
        n, t = int.from_bytes(data[16:18], "big"), data[18]
        if n < 19 or n > 4096 or t not in TYPES:
            return NO                     # length bounds and message types of RFC 4271 4.1
        meta = {"message": TYPES[t]}
        if t == 1:
            if len(data) < 29:
                return MORE
            if data[19] != 4:
                return NO                  # only BGP version 4 exists in practice
            meta.update(asn=int.from_bytes(data[20:22], "big"),
                        hold_time=int.from_bytes(data[22:24], "big"))
        return claim("bgp", 1.0, **meta)
    return MORE if more else NO


SPEC = DetectorSpec(name="bgp", transports=("tcp",), probe=probe, max_bytes=256,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset((0xFF,)), s2c=frozenset((0xFF,))))
