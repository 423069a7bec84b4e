"""GTP: GTPv1-C / GTPv1-U (3GPP TS 29.060 6, TS 29.281 5), GTPv2-C (TS 29.274 5) and
GTP' (TS 32.295 6).  GTPv1: flags (version 1, PT 1, a spare 0, E S PN), a message type,
a length counting what follows the first 8 bytes, equal to the datagram's rest, and a
TEID.  A T-PDU (type 255) must carry an IPv4 or IPv6 packet whose own length fits.
GTPv2: flags (version 2, P, T, spare), message type, a length counting what follows
the first 4 bytes (equal to the rest), the TEID when T is set, a 3-byte sequence
number and a spare byte; its IEs (type, 2-byte length, instance) tile the rest.
Metadata: version, message (type number).
"""
from __future__ import annotations

import struct

from . import _dgram
from .base import MORE, NO, DetectorSpec, Gate, Prefilter, claim

V1_TYPES = frozenset(list(range(1, 8)) + list(range(16, 28)) + list(range(29, 32)) +
                     list(range(48, 56)) + list(range(96, 102)) + [26, 240, 241, 254, 255])
V2_TYPES = frozenset(list(range(1, 4)) + list(range(32, 40)) + list(range(64, 74)) +
                     list(range(95, 98)) + list(range(100, 102)) + list(range(128, 130)) +
                     list(range(149, 176)) + list(range(200, 202)) + list(range(211, 233)))


def _v1(d: bytes):
    flags, mtype, n = struct.unpack_from(">BBH", d, 0)
    if flags & 0x18 != 0x10 or mtype not in V1_TYPES or n != len(d) - 8:
        return None                    # PT 1, spare 0
    if mtype == 255:
        off = 12 if flags & 0x07 else 8
        ip = d[off:]
        if flags & 0x04:
            return None if len(d) < 12 else {"version": 1, "message": mtype}
        if len(ip) < 20:
            return None
        if ip[0] >> 4 == 4:
            if ip[0] & 0x0f < 5 or struct.unpack_from(">H", ip, 2)[0] != len(ip):
                return None
        elif ip[0] >> 4 == 6:
            if len(ip) < 40 or struct.unpack_from(">H", ip, 4)[0] != len(ip) - 40:
                return None
        else:
            return None
    elif mtype in (1, 2) and n < 4 + (4 if flags & 0x07 else 0) - 4:
        return None
    return {"version": 1, "message": mtype}


def _v2(d: bytes):
    flags, mtype, n = struct.unpack_from(">BBH", d, 0)
    if flags & 0x07 or mtype not in V2_TYPES or n != len(d) - 4:
        return None
    off = 4 + (4 if flags & 0x08 else 0) + 4
    if off > len(d):
        return None
    while off < len(d):
        if len(d) - off < 4:
            return None
        t, ln = struct.unpack_from(">BH", d, off)
        if t == 0 or off + 4 + ln > len(d):
            return None
        off += 4 + ln
    return {"version": 2, "message": mtype}


def _parse(d: bytes):
    if len(d) < 8:
        return None
    v = d[0] >> 5
    return _v1(d) if v == 1 else _v2(d) if v == 2 else None


def probe(view, state):
    units = _dgram.whole(view, SPEC.max_bytes)
    if not units:
        return MORE
    short = _dgram.too_short(units, 8, first=frozenset(range(0x30, 0x38)) | frozenset(range(0x40, 0x50)))
    if short is not None:
        return MORE if short else NO      # a datagram shorter than the fixed header
    meta = None
    for d in units:
        m = _parse(d)
        if m is None:
            return NO
        meta = meta or m
    return claim("gtp", 0.85, **meta)


SPEC = DetectorSpec(name="gtp", transports=("udp",), probe=probe, max_bytes=2048,
                    max_packets=2, prefilter=Prefilter(c2s=frozenset(range(0x30, 0x38)) | frozenset(range(0x40, 0x50)),
                                                       s2c=frozenset(range(0x30, 0x38)) | frozenset(range(0x40, 0x50))),
                    max_confidence=0.85,
                    # A lone datagram must parse: GTPv1 (version 1, PT 1, spare 0; the length
                    # counts what follows 8 bytes) or GTPv2 (version 2, spare bits 0; the
                    # length counts what follows 4 bytes).
                    gate=(Gate(lone=True, min_len=8, length=(2, 2, 8), bytes=((0, 0xf8, 0x30, 0x30),)),
                          Gate(lone=True, min_len=8, length=(2, 2, 4), bytes=((0, 0xe7, 0x40, 0x40),))))
