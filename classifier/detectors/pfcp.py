"""PFCP (3GPP TS 29.244 7.2): every message is a header, version 1 in the top three
bits, spare bits, the FO / MP / S flags; a message type (1-15 node messages, 50-57
session messages); a length counting everything after the first four bytes, equal to
the datagram's rest; the 8-byte SEID when S is set (session messages must set it, node
messages must not); a 3-byte sequence number and a spare byte.  The information
elements (2-byte type, 2-byte length) must tile the rest.
Metadata: message (the first message's name).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

MESSAGES = {1: "Heartbeat Request", 2: "Heartbeat Response", 3: "PFD Management Request",
            4: "PFD Management Response", 5: "Association Setup Request",
            6: "Association Setup Response", 7: "Association Update Request",
            8: "Association Update Response", 9: "Association Release Request",
            10: "Association Release Response", 11: "Version Not Supported Response",
            12: "Node Report Request", 13: "Node Report Response",
            14: "Session Set Deletion Request", 15: "Session Set Deletion Response",
            50: "Session Establishment Request", 51: "Session Establishment Response",
            52: "Session Modification Request", 53: "Session Modification Response",
            54: "Session Deletion Request", 55: "Session Deletion Response",
            56: "Session Report Request", 57: "Session Report Response"}


def _parse(d: bytes):
    if len(d) < 8:
        return None
    flags, mtype, n = struct.unpack_from(">BBH", d, 0)
    s = flags & 1
    if flags >> 5 != 1 or flags & 0x18 or mtype not in MESSAGES or n != len(d) - 4:
        return None
    if (mtype >= 50) != bool(s):
        return None                   # session messages carry a SEID, node messages not
    off = 4 + (8 if s else 0) + 4
    if off > len(d):
        return None
    ies = 0
    while off < len(d):
        if len(d) - off < 4:
            return None
        t, ln = struct.unpack_from(">HH", d, off)
        if t == 0 or off + 4 + ln > len(d):
            return None
        off += 4 + ln
        ies += 1
    if ies == 0 and mtype not in (11,):
        return None                   # every message but Version Not Supported has IEs
    return MESSAGES[mtype]


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 8, first=frozenset(range(0x20, 0x28)))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    first = None
    for d in units:
        m = _parse(d)
        if m is None:
            return NO
        first = first or m
    return claim("pfcp", 0.9, message=first)


SPEC = DetectorSpec(name="pfcp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(range(0x20, 0x28)),
                                                       s2c=frozenset(range(0x20, 0x28))),
                    max_confidence=0.9,
                    # compiled, per direction: a whole first datagram is a message:
                    # version 1, spare bits clear, its length the datagram's rest
                    gate=Gate(whole=True, min_len=8, length=(2, 2, 4),
                              bytes=((0, 0xe0, 0x20, 0x20), (0, 0x18, 0, 0), (1, 0xff, 1, 57))))
