"""XDMCP (X Display Manager Control Protocol 1.1, X Consortium): every datagram is a
header, version 1, an opcode (1 BroadcastQuery, 2 Query, 3 IndirectQuery,
4 ForwardQuery, 5 Willing, 6 Unwilling, 7 Request, 8 Accept, 9 Decline, 10 Manage,
11 Refuse, 12 Failed, 13 KeepAlive, 14 Alive) and the length of what follows, which
must be the datagram's rest.  Queries carry a list of authentication names (a count,
then ARRAY8s: 2-byte length and bytes) that must fill the body exactly.
Metadata: opcode (the first datagram's).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

OPCODES = {1: "BroadcastQuery", 2: "Query", 3: "IndirectQuery", 4: "ForwardQuery",
           5: "Willing", 6: "Unwilling", 7: "Request", 8: "Accept", 9: "Decline",
           10: "Manage", 11: "Refuse", 12: "Failed", 13: "KeepAlive", 14: "Alive"}


def _parse(d: bytes):
    if len(d) < 6:
        return None
    ver, op, n = struct.unpack_from(">HHH", d, 0)
    if ver != 1 or op not in OPCODES or n != len(d) - 6:
        return None
    body = d[6:]
    if op in (1, 2, 3):                           # ARRAYofARRAY8 authentication names
        if not body:
            return None
        off = 1
        for _ in range(body[0]):
            if off + 2 > len(body):
                return None
            off += 2 + struct.unpack_from(">H", body, off)[0]
        if off != len(body):
            return None
    return OPCODES[op]


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 6, head=b"\x00\x01")
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    first = None
    for d in units:
        op = _parse(d)
        if op is None:
            return NO
        first = first or op
    return claim("xdmcp", 0.9, opcode=first)


SPEC = DetectorSpec(name="xdmcp", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset({0}), s2c=frozenset({0})),
                    max_confidence=0.9,
                    # every whole datagram: version 1, an opcode, the length of what follows
                    gate=Gate(whole=True, min_len=6, bytes=((0, 0xFF, 0, 0), (1, 0xFF, 1, 1), (2, 0xFF, 0, 0),
                                                            (3, 0xFF, min(OPCODES), max(OPCODES))),
                              length=(4, 2, 6)))
