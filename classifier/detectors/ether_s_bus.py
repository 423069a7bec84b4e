"""Ether-S-Bus (SAIA-Burgess/Honeywell PCD controllers' S-Bus over UDP, 5050): every
datagram is a telegram, length (4, the whole datagram), version (1: 0 or 1), protocol
type (1: 0 for S-Bus), sequence number (2), telegram attribute (1: 0 request, 1
response, 2 ACK/NAK), the S-Bus frame, and a CRC-16 (polynomial 0x1021, initial 0, big-
endian) over everything before it.

The detector relies on the exact length, the attribute and the CRC.  Metadata:
attribute ("request", "response", "ack").
"""
from __future__ import annotations

from ._crc import crc16_ccitt
from . import _units
from .base import MORE, NO, DetectorSpec, Prefilter, match

ATTRIBUTES = ("request", "response", "ack")


def _telegram(d: bytes):
    if len(d) < 11:
        ok = d[:3] == b"\x00\x00\x00"[:len(d[:3])] and (len(d) < 5 or d[4] <= 1) and \
            (len(d) < 6 or d[5] == 0) and (len(d) < 9 or d[8] <= 2)
        return MORE if ok else None
    if int.from_bytes(d[:4], "big") != len(d) or d[4] > 1 or d[5] != 0 or d[8] > 2:
        return None
    if crc16_ccitt(d[:-2], 0) != int.from_bytes(d[-2:], "big"):
        return None
    return ATTRIBUTES[d[8]]


def probe(view, state):
    found, more = None, False
    for d, whole in _units.units(view, SPEC.max_bytes):
        r = _telegram(d)
        if r is None:
            if whole:
                return NO                  # every datagram of the flow is one
            continue                       # the byte budget may have cut this one
        if r is MORE:
            more = True
        else:
            found = found or r
    if found is None:
        return MORE if more else NO
    # An exact 32-bit length and a CRC-16 over the telegram.
    return match("ether-s-bus", 1.0, attribute=found)


SPEC = DetectorSpec(name="ether-s-bus", transports=("udp",), probe=probe, max_bytes=1024,
                    max_packets=4, prefilter=Prefilter(c2s=frozenset((0,)), s2c=frozenset((0,))),
                    max_confidence=1.0)
