"""HSRP, Cisco's Hot Standby Router Protocol: version 1 (RFC 2281 5.1) is a fixed
20-byte message: version 0, op code (0 hello, 1 coup, 2 resign), state (0 initial,
1 learn, 2 listen, 4 speak, 8 standby, 16 active), hello time, hold time, priority,
group, a reserved byte (0), 8 bytes of authentication data and the virtual IPv4
address.  Version 2 is TLVs: a Group State TLV (type 1, length 40: version 2, op code,
state, IP version 4 or 6, group, identifier, priority, hello and hold times in ms, the
virtual address), then optionally a text (3) or MD5 (4) authentication TLV; the TLVs
tile the datagram.  A v2 advertisement carries an Interface State TLV (type 2) alone:
valid, but a flow needs a group state.  Routers only multicast: one direction.
Metadata: version, op, state, group.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

OPS = {0: "hello", 1: "coup", 2: "resign", 3: "advertise"}
STATES = {0: "initial", 1: "learn", 2: "listen", 4: "speak", 8: "standby", 16: "active"}


def _v1(d: bytes):
    if len(d) != 20:
        return None
    ver, op, state, hello, hold, _prio, group, rsv = d[:8]
    if ver != 0 or op > 2 or state not in STATES or rsv or hello == 0 or hold < hello:
        return None
    return {"version": 1, "op": OPS[op], "state": STATES[state], "group": group}


def _v2(d: bytes):
    off, meta = 0, None
    while off < len(d):
        if len(d) < off + 2:
            return None
        t, n = d[off], d[off + 1]
        if off + 2 + n > len(d):
            return None
        v = d[off + 2:off + 2 + n]
        if t == 1:
            if n != 40 or v[0] != 2 or v[1] > 3 or v[2] not in STATES or v[3] not in (4, 6):
                return None
            hello, hold = struct.unpack_from(">II", v, 16)
            if hello == 0 or hold < hello:
                return None
            meta = meta or {"version": 2, "op": OPS[v[1]], "state": STATES[v[2]],
                            "group": struct.unpack_from(">H", v, 4)[0]}
        elif t == 2:
            if n < 4:                 # interface state TLV (advertisement)
                return None
        elif t not in (3, 4):
            return None
        off += 2 + n
    return meta if meta is not None else {}      # an advertisement: interface state only


def probe(view, state):
    meta = None
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE                   # nothing, or one datagram perhaps cut short
    short = _dgram.too_short(units, 6, first=frozenset({0, 1, 2}))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    for d in units:
        m = _v1(d) if d[0] == 0 else _v2(d) if d[0] in (1, 2) else None
        if m is None:
            return NO
        meta = meta or m
    if not meta:
        return MORE                   # v2 advertisements alone (6 bytes each) say too little
    return claim("hsrp", 0.85, **meta)


SPEC = DetectorSpec(name="hsrp", transports=("udp",), probe=probe, max_bytes=512,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset({0, 1, 2}), s2c=frozenset({0, 1, 2})),
                    max_confidence=0.85,
                    # every whole datagram, 6 bytes or more: version 1 (version 0, an opcode
                    # 0-2, a hello time, reserved 0), or version 2's group state TLV (type 1,
                    # 40 bytes, version 2, opcode 0-3) or interface state TLV (type 2, 4 or more)
                    gate=Gate(whole=True, min_len=6, forms=(
                        ((0, 0xFF, 0, 0), (1, 0xFF, 0, 2), (3, 0xFF, 1, 0xFF)),
                        ((0, 0xFF, 1, 1), (1, 0xFF, 40, 40), (2, 0xFF, 2, 2), (3, 0xFF, 0, 3)),
                        ((0, 0xFF, 2, 2), (1, 0xFF, 4, 0xFF)))))
