"""OpenFlow 1.0-1.5 (ONF OpenFlow Switch Specifications, "ofp_header"): every message
is a version (0x01 1.0 .. 0x06 1.5), a type, a 2-byte length (>= 8, the whole
message) and a transaction id; messages follow each other exactly.  Both sides open
with OFPT_HELLO (type 0): 8 bytes, or more with hello elements (1.3+: type 1
VERSIONBITMAP and a length fitting the message).
Metadata: version ("1.0" .. "1.5", the lower of the two hellos), types (first messages).
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Prefilter, claim

VERSIONS = {1: "1.0", 2: "1.1", 3: "1.2", 4: "1.3", 5: "1.4", 6: "1.5"}


def _side(d: bytes):
    """Version of a side's HELLO (the messages after it framed exactly), MORE, or None."""
    if len(d) < 8:
        if d[0] not in VERSIONS or (len(d) > 1 and d[1] != 0):
            return None
        return MORE
    ver, t, n, _xid = struct.unpack_from(">BBHI", d, 0)
    if ver not in VERSIONS or t != 0 or n < 8 or n > 1024:
        return None
    if n > 8 and len(d) >= n:                       # hello elements: type, length, ...
        off = 8
        while off < n:
            if n - off < 4:
                return None
            et, el = struct.unpack_from(">HH", d, off)
            if et != 1 or el < 4 or off + el > n:
                return None
            off += (el + 7) // 8 * 8
    off = n
    while off + 8 <= len(d):                        # the next messages frame exactly
        v2, _t2, n2 = struct.unpack_from(">BBH", d, off)
        if v2 not in VERSIONS or n2 < 8:
            return None
        off += n2
    return ver


def probe(view, state):
    vs = []
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        v = _side(d)
        if v is None:
            return NO
        if v is MORE:
            return MORE
        vs.append(v)
    if not vs:
        return MORE
    if len(vs) < 2:
        return MORE if len(view.payload_c2s or view.payload_s2c) <= 16 else claim(
            "openflow", 0.7, version=VERSIONS[vs[0]])
    return claim("openflow", 0.9, version=VERSIONS[min(vs)])


SPEC = DetectorSpec(name="openflow", transports=("tcp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(range(1, 7)), s2c=frozenset(range(1, 7))),
                    max_confidence=0.9)
