"""BFD control packets (RFC 5880 4.1, over UDP: RFC 5881/5883): version 1 in the top
three bits, a diagnostic 0-8, the state (2 bits) and flags (the Multipoint bit must be
0), a non-zero detect multiplier, a length of 24 (26-52 with an authentication section
when the A bit is set) equal to the datagram, a non-zero My Discriminator, Your
Discriminator zero only in the Down / AdminDown states, then the three intervals.  The
authentication section has a type 1-5 and a length fitting the packet.  Echo packets
(port 3785) are opaque by design and left alone.
Metadata: state, diag.
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

STATES = ("AdminDown", "Down", "Init", "Up")
AUTH_LEN = {1: range(4, 20), 2: (24,), 3: (24,), 4: (28,), 5: (28,)}   # RFC 5880 4.2-4.4


def _parse(d: bytes):
    if len(d) < 24 or d[0] >> 5 != 1 or d[0] & 0x1f > 8:
        return None
    flags, mult, length = d[1], d[2], d[3]
    state = flags >> 6
    if flags & 1 or mult == 0 or length != len(d):
        return None
    my, your = struct.unpack_from(">II", d, 4)
    if my == 0 or (your == 0 and state >= 2):
        return None
    if flags & 0x04:                              # A: authentication present
        if length < 26 or d[24] not in AUTH_LEN or d[25] not in AUTH_LEN[d[24]] or 24 + d[25] != length:
            return None
    elif length != 24:
        return None
    return my, {"state": STATES[state], "diag": d[0] & 0x1f}


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 24, first=frozenset(range(0x20, 0x29)))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    meta, mine = None, {}
    for direction, dgs in ((0, view.datagrams_c2s), (1, view.datagrams_s2c)):
        for d in dgs:
            if d not in units:
                continue
            r = _parse(d)
            if r is None:
                return NO
            if mine.setdefault(direction, r[0]) != r[0]:
                return NO             # a session keeps its discriminator
            meta = meta or r[1]
    return claim("bfd", 0.9 if len(units) > 1 else 0.8, **meta)


SPEC = DetectorSpec(name="bfd", transports=("udp",), probe=probe, max_bytes=512,
                    max_packets=3, prefilter=Prefilter(c2s=frozenset(range(0x20, 0x29)),
                                                       s2c=frozenset(range(0x20, 0x29))),
                    max_confidence=0.9,
                    # compiled, per direction: a whole first datagram is a control
                    # packet: version 1, diagnostic 0-8, the Multipoint bit clear, a
                    # non-zero multiplier, and the length byte equal to the datagram
                    gate=Gate(whole=True, min_len=24, length=(3, 1, 0),
                              bytes=((0, 0xe0, 0x20, 0x20), (0, 0x1f, 0, 8), (1, 0x01, 0, 0),
                                     (2, 0xff, 1, 255))))
