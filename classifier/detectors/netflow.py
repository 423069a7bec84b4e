"""Cisco NetFlow export (v1, v5, v7: fixed records; v9: RFC 3954) and IPFIX (RFC 7011),
one export datagram per message, exporters only send.  v1/v5/v7: version, count 1-30
(v1: 24) and a header of 16 (v1) or 24 bytes followed by exactly count records of 48
(v1, v5) or 52 (v7) bytes.  v9: version 9, count, uptime, UNIX seconds, sequence,
source id, then FlowSets (id 0 template, 1 options template, >= 256 data; each a
2-byte id and a 2-byte length >= 4) tiling the datagram.  IPFIX: version 10, the
message length equal to the datagram's, then Sets (2 template, 3 options template,
>= 256 data) tiling it.
Metadata: version.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

FIXED = {1: (16, 48, 24), 5: (24, 48, 30), 7: (24, 52, 28)}     # header, record, max count


def _sets(d: bytes, off: int, template_ids) -> bool:
    n = 0
    while off < len(d):
        if len(d) - off < 4:
            return False
        sid, slen = struct.unpack_from(">HH", d, off)
        if slen < 4 or off + slen > len(d) or not (sid in template_ids or sid >= 256):
            return False
        off += slen
        n += 1
    return n > 0


def _parse(d: bytes):
    if len(d) < 16:
        return None
    ver, count = struct.unpack_from(">HH", d, 0)
    if ver in FIXED:
        head, rec, most = FIXED[ver]
        return ver if 1 <= count <= most and len(d) == head + rec * count else None
    if ver == 9:
        return 9 if len(d) >= 20 and _sets(d, 20, (0, 1)) else None
    if ver == 10:
        return 10 if count == len(d) and _sets(d, 16, (2, 3)) else None
    return None


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 16, first=frozenset({0}))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    version = None
    for d in units:
        v = _parse(d)
        if v is None:
            return NO
        version = version or v
    return claim("netflow", 0.9, version=version)


SPEC = DetectorSpec(name="netflow", transports=("udp",), probe=probe, max_bytes=4096,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.9,
                    # every whole datagram: a 16-byte header or more, version 1-10
                    gate=Gate(whole=True, min_len=16, bytes=((0, 0xFF, 0, 0), (1, 0xFF, min(FIXED), 10))))
