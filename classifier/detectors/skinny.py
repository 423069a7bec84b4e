"""Cisco Skinny Client Control Protocol (SCCP; as Wireshark's packet-skinny dissects
it): every message is a 4-byte little-endian length (counting from the header version
on, excluding itself and the following reserved/version word), a 4-byte header version
(0 basic; 0x11-0x16 and similar CM 7+ versions), a 4-byte little-endian message id and
the data; messages follow each other exactly.  Phones open with RegisterMessage (0x0001)
or KeepAlive (0x0000); the call manager answers RegisterAckMessage (0x0081) and others.
Message ids are below 0x0200, or 0x8000-0x8200 for the newer ones.
Metadata: message (the first message id, hex), header_version.
"""
from __future__ import annotations

import struct

from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

VERSIONS = frozenset({0x00, 0x0A, 0x0B, 0x0F, 0x10, 0x11, 0x12, 0x14, 0x15, 0x16, 0x17})


def _ok_id(mid: int) -> bool:
    return mid < 0x0200 or 0x8000 <= mid < 0x8200


def _side(d: bytes):
    """(first message id, header version, messages seen), MORE, or None."""
    off, n, first = 0, 0, None
    while off + 12 <= len(d) and n < 8:
        ln, ver, mid = struct.unpack_from("<III", d, off)
        if ln < 4 or ln > 4096 or ver not in VERSIONS or not _ok_id(mid):
            return None
        first = first or (mid, ver)
        n += 1
        off += 8 + ln
    if n == 0:
        if len(d) >= 4 and not 4 <= struct.unpack_from("<I", d, 0)[0] <= 4096:
            return None
        return MORE
    return first[0], first[1], n


def probe(view, state):
    sides = []
    for d in (view.payload_c2s, view.payload_s2c):
        if not d:
            continue
        r = _side(d)
        if r is None:
            return NO
        if r is MORE:
            return MORE
        sides.append(r)
    if not sides:
        return MORE
    total = sum(r[2] for r in sides)
    if total < 2:
        return MORE                   # one 12-byte header is too little to go on
    mid, ver = sides[0][0], sides[0][1]
    return claim("skinny", 0.9 if len(sides) == 2 else 0.75,
                 message="0x%04X" % mid, header_version=ver)


SPEC = DetectorSpec(name="skinny", transports=("tcp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(any=True), max_confidence=0.9,
                    # each side with bytes opens with a 12-byte header: a length of 4-4096, a
                    # header version, a message id below 0x8200 (all little-endian u32s)
                    tcp_gate=Gate(min_len=12, bytes=(
                        (1, 0xFF, 0, 0x10), (2, 0xFF, 0, 0), (3, 0xFF, 0, 0), (4, 0xFF, 0, max(VERSIONS)),
                        (5, 0xFF, 0, 0), (6, 0xFF, 0, 0), (7, 0xFF, 0, 0), (11, 0xFF, 0, 0))))
